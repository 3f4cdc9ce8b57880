/* A synthetic "miner" for the real-memory-image test. It mines nothing and never leaves the
 * guest: it takes xmrig-style stratum arguments, opens a loopback TCP connection to a listener
 * it starts itself on 127.0.0.1, maps an RWX region holding a marker, prints its pid on the
 * console and sleeps. Everything here is what memory analysis should be able to see. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define POOL_PORT 3333

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(POOL_PORT);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 1) != 0) {
        perror("listen");
        return 1;
    }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || connect(client, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("connect");
        return 1;
    }
    int server = accept(listener, NULL, NULL);
    if (server < 0) {
        perror("accept");
        return 1;
    }
    char *rwx = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rwx == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    /* A few x86 instructions (push rbp; mov rbp,rsp; nop...; ret) then the marker, so the
     * region looks like injected code. */
    static const unsigned char code[] = {0x55, 0x48, 0x89, 0xe5, 0x90, 0x90, 0x5d, 0xc3};
    memcpy(rwx, code, sizeof code);
    strcpy(rwx + 64, "IRKIT-GUEST-RWX-MARKER stratum+tcp://127.0.0.1:3333");
    const char *hello = "{\"id\":1,\"method\":\"login\",\"params\":{\"agent\":\"XMRig/6.21.0\"}}\n";
    if (write(client, hello, strlen(hello)) < 0) {
        perror("write");
    }
    printf("IRKIT-MINER-PID %d\n", (int)getpid());
    fflush(stdout);
    for (;;) {
        pause();
    }
}
