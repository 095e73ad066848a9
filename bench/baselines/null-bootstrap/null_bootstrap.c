/* The floor of a custom runtime's cold start: a static C program that speaks just enough of the Runtime
 * API to answer every invocation with an empty 200 and does nothing else (no configuration, no TLS, no
 * upstream). The bench runs it under the same emulator as tsproxy's bootstrap, so the difference between
 * the two is what tsproxy itself costs from exec to its first `next`, and to its first response.
 *
 * With NULL_BOOTSTRAP_BODY_BYTES=N every answer instead carries a body of N zero bytes, base64-encoded as
 * tsproxy hands a large buffered body over: the floor of handing that payload to the Runtime API, with
 * nothing fetched and nothing encoded per invocation.
 *
 * With AWS_LAMBDA_LOG_LEVEL=DEBUG it logs when main() was entered once its first `next` is written, as
 * tsproxy's bootstrap logs its start timeline: the floor of exec to main(). */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { buffer_size = 1 << 20 };
static char buffer[buffer_size];

static int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return -1;
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

/* Reads one HTTP response (head and Content-Length body) into buffer; returns the head's length, or -1. */
static long read_response(int fd, size_t* total) {
  size_t used = 0;
  char* end = NULL;
  buffer[0] = '\0'; /* the previous response's head must not be found again */
  while ((end = strstr(buffer, "\r\n\r\n")) == NULL) {
    if (used + 1 >= buffer_size) return -1;
    const ssize_t n = read(fd, buffer + used, buffer_size - 1 - used);
    if (n <= 0) return -1;
    used += (size_t)n;
    buffer[used] = '\0';
  }
  const size_t head = (size_t)(end - buffer) + 4;
  size_t length = 0;
  const char* field = strcasestr(buffer, "\r\ncontent-length:");
  if (field != NULL && field < end) length = strtoul(field + 17, NULL, 10);
  if (head + length >= buffer_size) return -1;
  while (used < head + length) {
    const ssize_t n = read(fd, buffer + used, head + length - used);
    if (n <= 0) return -1;
    used += (size_t)n;
  }
  buffer[used] = '\0';
  *total = used;
  return (long)head;
}

/* The instant main() was entered, on the monotonic clock, and the page faults by then. */
static struct timespec entered;
static long entered_minor_faults;

static void log_start_timeline(void) {
  const char* level = getenv("AWS_LAMBDA_LOG_LEVEL");
  if (level == NULL || strcasecmp(level, "debug") != 0) return;
  fprintf(stderr,
          "{\"level\":\"DEBUG\",\"msg\":\"start timeline\",\"main_entered_monotonic_ns\":%lld,"
          "\"minor_faults_before_main\":%ld}\n",
          (long long)entered.tv_sec * 1000000000LL + entered.tv_nsec, entered_minor_faults);
}

int main(void) {
  clock_gettime(CLOCK_MONOTONIC, &entered);
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0) entered_minor_faults = usage.ru_minflt;
  const char* api = getenv("AWS_LAMBDA_RUNTIME_API");
  const char* colon = api != NULL ? strrchr(api, ':') : NULL;
  if (colon == NULL) return 1;
  char host[64];
  snprintf(host, sizeof host, "%.*s", (int)(colon - api), api);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(colon + 1))};
  if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &address.sin_addr) != 1)
    return 1;

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr*)&address, sizeof address) != 0) return 1;

  static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n";
  const char* answer = "{\"statusCode\":200,\"body\":\"\"}";
  size_t answer_size = strlen(answer);
  const char* body_bytes = getenv("NULL_BOOTSTRAP_BODY_BYTES");
  if (body_bytes != NULL) {
    /* The base64 of N zero bytes: "AAAA" per 3 bytes, the last group padded. */
    static const char opening[] = "{\"statusCode\":200,\"isBase64Encoded\":true,\"body\":\"";
    const size_t n = strtoul(body_bytes, NULL, 10);
    const size_t encoded = (n + 2) / 3 * 4;
    char* built = malloc(sizeof opening - 1 + encoded + 2);
    if (built == NULL) return 1;
    memcpy(built, opening, sizeof opening - 1);
    char* body = built + sizeof opening - 1;
    memset(body, 'A', encoded);
    if (n % 3 == 1) memcpy(body + encoded - 2, "==", 2);
    if (n % 3 == 2) body[encoded - 1] = '=';
    memcpy(body + encoded, "\"}", 2);
    answer = built;
    answer_size = sizeof opening - 1 + encoded + 2;
  }
  for (int first = 1;; first = 0) {
    size_t total = 0;
    if (write_all(fd, next, sizeof next - 1) != 0) return 1;
    if (first) log_start_timeline();
    const long head = read_response(fd, &total);
    if (head < 0) return 1;
    const char* id = strcasestr(buffer, "\r\nlambda-runtime-aws-request-id:");
    if (id == NULL || id > buffer + head) return 1;
    id += 32;
    while (*id == ' ') ++id;
    const size_t id_length = strcspn(id, "\r");
    char request[512];
    const int n = snprintf(request, sizeof request,
                           "POST /2018-06-01/runtime/invocation/%.*s/response HTTP/1.1\r\nHost: runtime\r\n"
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           (int)id_length, id, answer_size, body_bytes == NULL ? answer : "");
    if (n <= 0 || (size_t)n >= sizeof request || write_all(fd, request, (size_t)n) != 0) return 1;
    /* A large answer follows its head; the empty one went with it, in the same write. */
    if (body_bytes != NULL && write_all(fd, answer, answer_size) != 0) return 1;
    if (read_response(fd, &total) < 0) return 1;
  }
}
