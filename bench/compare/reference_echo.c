/*
 * reference_echo: the "least work" yardstick of bench/compare.
 *
 *     reference_echo PORT        (0 picks a free port; prints `listening on PORT`)
 *
 * A single-threaded epoll WebSocket echo server on 127.0.0.1 that does what
 * RFC 6455 requires of a conforming server and nothing more: the opening
 * handshake (GET, Upgrade, Connection, Sec-WebSocket-Key/-Version 13), frame
 * parsing with the client-masking rule, unmasking a machine word at a time,
 * UTF-8 validation of text messages (1007), reassembly of fragmented
 * messages, ping/pong, the close handshake, and 1002 for protocol errors.
 * No extensions, no subprotocols, no timers. Every frame produced while
 * handling one readiness event goes out in one write().
 *
 * Its per-connection state is a small struct; reads land in one buffer shared
 * by the whole loop and only a partial frame is kept per connection, so an
 * idle connection owns no buffer. A library that does more per message than
 * this costs more than this: the ratio to it is the library's overhead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

enum {
  READ_BUFFER_SIZE = 256 * 1024,
  MAX_REQUEST_HEAD = 8 * 1024,
  MAX_MESSAGE = 16 * 1024 * 1024,
  /* Stop reading from a peer that doesn't read its echoes past this. */
  MAX_PENDING_OUTPUT = 4 * 1024 * 1024,
  MAX_EVENTS = 256,
};

enum { OP_CONTINUATION = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

enum {
  CLOSE_NORMAL = 1000,
  CLOSE_PROTOCOL_ERROR = 1002,
  CLOSE_INVALID_DATA = 1007,
  CLOSE_TOO_BIG = 1009,
};

enum phase {
  PHASE_HANDSHAKE, /* reading the HTTP request head */
  PHASE_OPEN,      /* exchanging frames */
  PHASE_CLOSING,   /* our last bytes are queued; the socket goes once they are out */
  PHASE_DRAINING,  /* write side shut; discarding input until the peer's EOF */
};

/* A growable byte buffer; data == NULL while empty so idle connections hold nothing. */
struct buffer {
  uint8_t* data;
  size_t length;
  size_t capacity;
};

struct connection {
  int fd;
  enum phase phase;
  uint32_t epoll_events;
  struct buffer input;   /* a partial frame (or request head) carried to the next read */
  struct buffer output;  /* bytes the socket didn't take yet */
  struct buffer message; /* payload of a fragmented message being reassembled */
  int message_opcode;    /* OP_TEXT or OP_BINARY while reassembling, else 0 */
};

/* Frames produced while handling one readiness event; written at once. */
static struct buffer batch;
static uint8_t read_buffer[READ_BUFFER_SIZE];
static int epoll_fd;

static void die(const char* what) {
  perror(what);
  exit(1);
}

/* Allocates even for extra == 0, so that data is never NULL afterwards (C forbids NULL + 0). */
static void reserve(struct buffer* b, size_t extra) {
  if (b->data && b->length + extra <= b->capacity) return;
  size_t capacity = b->capacity ? b->capacity : 4096;
  while (capacity < b->length + extra) capacity *= 2;
  uint8_t* data = realloc(b->data, capacity);
  if (!data) die("realloc");
  b->data = data;
  b->capacity = capacity;
}

static void append(struct buffer* b, const void* bytes, size_t length) {
  reserve(b, length);
  memcpy(b->data + b->length, bytes, length);
  b->length += length;
}

static void release(struct buffer* b) {
  free(b->data);
  b->data = NULL;
  b->length = b->capacity = 0;
}

/* Drops the first `count` bytes. */
static void consume(struct buffer* b, size_t count) {
  if (count == b->length) {
    release(b);
    return;
  }
  memmove(b->data, b->data + count, b->length - count);
  b->length -= count;
}

/* ---- UTF-8 (RFC 3629: shortest forms only, no surrogates, up to U+10FFFF) ---- */

static int utf8_valid(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    /* ASCII fast path, eight bytes at a time. */
    while (i + 8 <= n) {
      uint64_t word;
      memcpy(&word, s + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t extra;
    uint8_t low = 0x80, high = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) low = 0xA0;  /* overlong */
      if (c == 0xED) high = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) low = 0x90;  /* overlong */
      if (c == 0xF4) high = 0x8F; /* above U+10FFFF */
    } else {
      return 0;
    }
    if (extra >= n - i) return 0; /* truncated sequence */
    if (s[i + 1] < low || s[i + 1] > high) return 0;
    for (size_t k = 2; k <= extra; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
    }
    i += extra + 1;
  }
  return 1;
}

/* ---- Frames ---------------------------------------------------------------- */

/* Copies `length` masked bytes to `out`, unmasking a machine word at a time. */
static void unmask_copy(uint8_t* out, const uint8_t* in, size_t length, const uint8_t key[4]) {
  uint64_t key64;
  memcpy(&key64, key, 4);
  memcpy((uint8_t*)&key64 + 4, key, 4);
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    memcpy(&word, in + i, 8);
    word ^= key64;
    memcpy(out + i, &word, 8);
  }
  for (; i < length; i++) out[i] = in[i] ^ key[i & 3];
}

/* Appends an unmasked server frame's header (RFC 6455 5.2) and reserves room for its payload. */
static uint8_t* begin_frame(struct buffer* out, int opcode, size_t length) {
  reserve(out, 10 + length);
  uint8_t* h = out->data + out->length;
  h[0] = (uint8_t)(0x80 | opcode);
  size_t header;
  if (length < 126) {
    h[1] = (uint8_t)length;
    header = 2;
  } else if (length <= 0xFFFF) {
    h[1] = 126;
    h[2] = (uint8_t)(length >> 8);
    h[3] = (uint8_t)length;
    header = 4;
  } else {
    h[1] = 127;
    for (int k = 0; k < 8; k++) h[2 + k] = (uint8_t)((uint64_t)length >> (56 - 8 * k));
    header = 10;
  }
  out->length += header + length;
  return h + header;
}

static void queue_close(struct connection* c, int code) {
  uint8_t* payload = begin_frame(&batch, OP_CLOSE, 2);
  payload[0] = (uint8_t)(code >> 8);
  payload[1] = (uint8_t)code;
  c->phase = PHASE_CLOSING;
}

/* RFC 6455 7.4: codes a peer may send. */
static int close_code_valid(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

/* Handles one complete, unmasked control frame's payload. */
static void handle_control(struct connection* c, int opcode, const uint8_t* masked, size_t length,
                           const uint8_t key[4]) {
  if (opcode == OP_PONG) return;
  if (opcode == OP_PING) {
    unmask_copy(begin_frame(&batch, OP_PONG, length), masked, length, key);
    return;
  }
  /* Close: echo the code (and the reason, for symmetry) once it is found valid. */
  if (length == 1) {
    queue_close(c, CLOSE_PROTOCOL_ERROR);
    return;
  }
  uint8_t* payload = begin_frame(&batch, OP_CLOSE, length);
  unmask_copy(payload, masked, length, key);
  if (length >= 2) {
    int code = payload[0] << 8 | payload[1];
    int invalid = !close_code_valid(code)                ? CLOSE_PROTOCOL_ERROR
                  : !utf8_valid(payload + 2, length - 2) ? CLOSE_INVALID_DATA
                                                         : 0;
    if (invalid) {
      batch.length = (size_t)(payload - batch.data) - 2; /* take the frame back */
      queue_close(c, invalid);
      return;
    }
  }
  c->phase = PHASE_CLOSING;
}

/*
 * Parses and answers every complete frame in data[0, length); returns how many
 * bytes it used. Stops early when the connection leaves PHASE_OPEN.
 */
static size_t handle_frames(struct connection* c, const uint8_t* data, size_t length) {
  size_t used = 0;
  while (c->phase == PHASE_OPEN && length - used >= 2) {
    const uint8_t* f = data + used;
    size_t available = length - used;
    int fin = f[0] & 0x80, opcode = f[0] & 0x0F;
    /* RFC 6455 5.1: a server MUST close on an unmasked frame; 5.2: no extension, so no RSV. */
    if ((f[0] & 0x70) || !(f[1] & 0x80)) {
      queue_close(c, CLOSE_PROTOCOL_ERROR);
      break;
    }
    uint64_t payload_length = f[1] & 0x7F;
    size_t header = 2;
    if (payload_length == 126) {
      if (available < 4) break;
      payload_length = (uint64_t)f[2] << 8 | f[3];
      header = 4;
    } else if (payload_length == 127) {
      if (available < 10) break;
      payload_length = 0;
      for (int k = 0; k < 8; k++) payload_length = payload_length << 8 | f[2 + k];
      header = 10;
    }
    int control = opcode & 0x8;
    if (control) {
      /* RFC 6455 5.5: control frames are never fragmented, at most 125 bytes. */
      if (!fin || payload_length > 125 || opcode > OP_PONG) {
        queue_close(c, CLOSE_PROTOCOL_ERROR);
        break;
      }
    } else if (opcode > OP_BINARY || (opcode == OP_CONTINUATION) != (c->message_opcode != 0)) {
      /* RFC 6455 5.4: a continuation only inside a fragmented message, a new one only outside. */
      queue_close(c, CLOSE_PROTOCOL_ERROR);
      break;
    }
    if (payload_length > MAX_MESSAGE - c->message.length) {
      queue_close(c, CLOSE_TOO_BIG);
      break;
    }
    if (available < header + 4 + payload_length) break;
    const uint8_t* key = f + header;
    const uint8_t* payload = key + 4;
    size_t n = (size_t)payload_length;
    used += header + 4 + n;

    if (control) {
      handle_control(c, opcode, payload, n, key);
    } else if (fin && opcode != OP_CONTINUATION) {
      /* A whole message in one frame (the common case): unmask straight into the reply. */
      size_t start = batch.length;
      uint8_t* echo = begin_frame(&batch, opcode, n);
      unmask_copy(echo, payload, n, key);
      if (opcode == OP_TEXT && !utf8_valid(echo, n)) {
        batch.length = start;
        queue_close(c, CLOSE_INVALID_DATA);
      }
    } else {
      if (opcode != OP_CONTINUATION) c->message_opcode = opcode;
      reserve(&c->message, n);
      unmask_copy(c->message.data + c->message.length, payload, n, key);
      c->message.length += n;
      if (fin) {
        struct buffer* m = &c->message;
        if (c->message_opcode == OP_TEXT && !utf8_valid(m->data, m->length)) {
          queue_close(c, CLOSE_INVALID_DATA);
        } else {
          memcpy(begin_frame(&batch, c->message_opcode, m->length), m->data, m->length);
        }
        release(m);
        c->message_opcode = 0;
      }
    }
  }
  return used;
}

/* ---- Opening handshake (RFC 6455 4.2) ------------------------------------------ */

/* Is `token` one of the comma-separated tokens of `list` (case-insensitive)? */
static int has_token(const char* list, size_t length, const char* token) {
  size_t token_length = strlen(token);
  size_t i = 0;
  while (i < length) {
    while (i < length && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) i++;
    size_t start = i;
    while (i < length && list[i] != ',') i++;
    size_t end = i;
    while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t')) end--;
    if (end - start == token_length && strncasecmp(list + start, token, token_length) == 0) {
      return 1;
    }
  }
  return 0;
}

static void queue_text(const char* text) {
  append(&batch, text, strlen(text));
}

/*
 * Answers the request head in head[0, length) (which ends with CRLF CRLF).
 * Returns 1 when the connection is now a WebSocket.
 */
static int handle_request(const char* head, size_t length) {
  const char* end = head + length;
  const char* line_end = memmem(head, length, "\r\n", 2);
  int get = line_end - head >= 14 && memcmp(head, "GET ", 4) == 0 &&
            memcmp(line_end - 9, " HTTP/1.1", 9) == 0;
  int host = 0, upgrade = 0, connection_upgrade = 0, version = 0;
  const char* key = NULL;
  size_t key_length = 0;
  for (const char* line = line_end + 2; get && line < end - 2;) {
    const char* next = memmem(line, (size_t)(end - line), "\r\n", 2);
    const char* colon = memchr(line, ':', (size_t)(next - line));
    if (!colon) {
      get = 0;
      break;
    }
    size_t name_length = (size_t)(colon - line);
    const char* value = colon + 1;
    while (value < next && (*value == ' ' || *value == '\t')) value++;
    const char* value_end = next;
    while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t')) value_end--;
    size_t value_length = (size_t)(value_end - value);
#define NAME_IS(literal) \
  (name_length == sizeof(literal) - 1 && strncasecmp(line, literal, name_length) == 0)
    if (NAME_IS("Host")) {
      host = 1;
    } else if (NAME_IS("Upgrade")) {
      upgrade = has_token(value, value_length, "websocket");
    } else if (NAME_IS("Connection")) {
      connection_upgrade = has_token(value, value_length, "upgrade");
    } else if (NAME_IS("Sec-WebSocket-Key")) {
      key = value;
      key_length = value_length;
    } else if (NAME_IS("Sec-WebSocket-Version")) {
      version = value_length == 2 && memcmp(value, "13", 2) == 0 ? 13 : -1;
    }
#undef NAME_IS
    line = next + 2;
  }

  /* The key is 16 random bytes in base64: 24 characters, the last two "==". */
  int key_ok = key && key_length == 24 && key[22] == '=' && key[23] == '=';
  if (!get || !host || !upgrade || !connection_upgrade || !key_ok || version == 0) {
    queue_text("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return 0;
  }
  if (version != 13) {
    queue_text(
        "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n");
    return 0;
  }

  static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  char keyed[24 + sizeof guid - 1];
  memcpy(keyed, key, 24);
  memcpy(keyed + 24, guid, sizeof guid - 1);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (!EVP_Digest(keyed, sizeof keyed, digest, &digest_length, EVP_sha1(), NULL)) die("EVP_Digest");
  unsigned char accept[29];
  EVP_EncodeBlock(accept, digest, (int)digest_length);

  queue_text(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: ");
  queue_text((const char*)accept);
  queue_text("\r\n\r\n");
  return 1;
}

/* ---- Connections ----------------------------------------------------------------- */

static void watch(struct connection* c, uint32_t events) {
  if (events == c->epoll_events) return;
  struct epoll_event event = {.events = events, .data.ptr = c};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &event) < 0) die("epoll_ctl");
  c->epoll_events = events;
}

static void destroy(struct connection* c) {
  close(c->fd); /* also removes it from the epoll set */
  release(&c->input);
  release(&c->output);
  release(&c->message);
  free(c);
}

/* RFC 6455 7.1.1: the server closes the TCP connection first; shutting only the
 * write side and reading to EOF keeps unread input from turning the close into
 * a reset that could destroy the close frame in flight. */
static void finish(struct connection* c) {
  shutdown(c->fd, SHUT_WR);
  c->phase = PHASE_DRAINING;
  release(&c->input);
  release(&c->message);
  watch(c, EPOLLIN);
}

/* Sends the batch (after anything still queued), with one write when nothing is queued. */
static int flush(struct connection* c) {
  if (batch.length) {
    if (c->output.length) {
      append(&c->output, batch.data, batch.length);
    } else {
      ssize_t n = write(c->fd, batch.data, batch.length);
      if (n < 0 && errno != EAGAIN) return -1;
      if (n < 0) n = 0;
      if ((size_t)n < batch.length) append(&c->output, batch.data + n, batch.length - (size_t)n);
    }
    batch.length = 0;
  } else if (c->output.length) {
    ssize_t n = write(c->fd, c->output.data, c->output.length);
    if (n < 0 && errno != EAGAIN) return -1;
    if (n > 0) consume(&c->output, (size_t)n);
  }
  if (c->output.length) {
    watch(c, c->output.length > MAX_PENDING_OUTPUT ? EPOLLOUT : EPOLLIN | EPOLLOUT);
  } else if (c->phase == PHASE_CLOSING) {
    finish(c);
  } else {
    watch(c, EPOLLIN);
  }
  return 0;
}

/* Reads once and handles what arrived; returns -1 when the connection is gone. */
static int on_readable(struct connection* c) {
  uint8_t* data;
  size_t room;
  if (c->input.length) {
    /* A partial frame is waiting: read the rest right behind it. */
    reserve(&c->input, READ_BUFFER_SIZE);
    data = c->input.data;
    room = c->input.capacity - c->input.length;
  } else {
    data = read_buffer;
    room = sizeof read_buffer;
  }
  ssize_t n = read(c->fd, data + c->input.length, room);
  if (n == 0 || (n < 0 && errno != EAGAIN)) return -1;
  if (n < 0) return 0;
  if (c->phase == PHASE_DRAINING) return 0;
  size_t length = c->input.length + (size_t)n;

  size_t used = 0;
  if (c->phase == PHASE_HANDSHAKE) {
    const uint8_t* head_end = memmem(data, length, "\r\n\r\n", 4);
    if (!head_end) {
      if (length > MAX_REQUEST_HEAD) return -1;
    } else {
      used = (size_t)(head_end + 4 - data);
      c->phase = handle_request((const char*)data, used) ? PHASE_OPEN : PHASE_CLOSING;
    }
  }
  if (c->phase == PHASE_OPEN) used += handle_frames(c, data + used, length - used);

  if (c->phase == PHASE_CLOSING) {
    release(&c->input);
  } else if (data == read_buffer) {
    if (used < length) append(&c->input, data + used, length - used);
  } else {
    c->input.length = length;
    consume(&c->input, used);
  }
  return flush(c);
}

static void on_event(struct connection* c, uint32_t events) {
  int result = 0;
  if (events & EPOLLIN) result = on_readable(c);
  if (result == 0 && (events & EPOLLOUT)) result = flush(c);
  if (result == 0 && (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) result = -1;
  if (result < 0) {
    batch.length = 0;
    destroy(c);
  }
}

static void accept_all(int listener) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == ECONNABORTED || errno == EINTR) return;
      if (errno == EMFILE || errno == ENFILE) return; /* retried on the next event */
      die("accept4");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct connection* c = calloc(1, sizeof *c);
    if (!c) die("calloc");
    c->fd = fd;
    c->phase = PHASE_HANDSHAKE;
    c->epoll_events = EPOLLIN;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl");
  }
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr*)&address, sizeof address) < 0) die("bind");
  if (listen(fd, 4096) < 0) die("listen");
  socklen_t size = sizeof address;
  getsockname(fd, (struct sockaddr*)&address, &size);
  printf("listening on %d\n", ntohs(address.sin_port));
  fflush(stdout);
  return fd;
}

int main(int argc, char** argv) {
  char* end = NULL;
  long port = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (argc != 2 || *end || port < 0 || port > 65535) {
    fprintf(stderr, "usage: reference_echo PORT   (0 picks a free one)\n");
    return 2;
  }
  /* One descriptor per connection: take the hard limit, not the usual 1024. */
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  signal(SIGPIPE, SIG_IGN);

  /* SIGTERM and SIGINT arrive as readable data on a descriptor in the epoll set. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, NULL);
  int signal_fd = signalfd(-1, &stop, SFD_CLOEXEC);
  if (signal_fd < 0) die("signalfd");

  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) die("epoll_create1");
  int listener = listen_on((int)port);
  /* The listener and the signal descriptor are told apart by these marks. */
  static char listener_mark, signal_mark;
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listener_mark};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event) < 0) die("epoll_ctl");
  event.data.ptr = &signal_mark;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, signal_fd, &event) < 0) die("epoll_ctl");

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int count = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
    if (count < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < count; i++) {
      void* target = events[i].data.ptr;
      if (target == &signal_mark) return 0;
      if (target == &listener_mark) {
        accept_all(listener);
      } else {
        on_event(target, events[i].events);
      }
    }
  }
}
