#include "test/integration/h2_upstream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>

#include "test/integration/harness.h"

namespace sluice::testing {

namespace {

X509* ReadCert(BIO* bio) { return PEM_read_bio_X509(bio, nullptr, nullptr, nullptr); }

SSL_CTX* MakeServerCtx(const H2UpstreamOptions& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  BIO* bio = BIO_new_mem_buf(o.cert_pem.data(), static_cast<int>(o.cert_pem.size()));
  X509* leaf = ReadCert(bio);
  SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  while (X509* extra = ReadCert(bio)) SSL_CTX_add0_chain_cert(ctx, extra);
  ERR_clear_error();
  BIO_free(bio);
  bio = BIO_new_mem_buf(o.key_pem.data(), static_cast<int>(o.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  SSL_CTX_set_alpn_select_cb(
      ctx,
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
         unsigned int inlen, void*) {
        for (unsigned int i = 0; i < inlen; i += 1u + in[i]) {
          if (in[i] == 2 && i + 2 < inlen + 0u && memcmp(in + i + 1, "h2", 2) == 0) {
            *out = in + i + 1;
            *outlen = 2;
            return SSL_TLSEXT_ERR_OK;
          }
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL;
      },
      nullptr);
  if (!o.client_ca_pem.empty()) {
    bio = BIO_new_mem_buf(o.client_ca_pem.data(), static_cast<int>(o.client_ca_pem.size()));
    X509* ca = ReadCert(bio);
    BIO_free(bio);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

int64_t HeaderInt(const std::map<std::string, std::string>& h, const std::string& name,
                  int64_t fallback) {
  auto it = h.find(name);
  return it == h.end() ? fallback : std::strtoll(it->second.c_str(), nullptr, 10);
}

}  // namespace

struct H2Upstream::Connection {
  H2Upstream* server = nullptr;
  int number = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  nghttp2_session* session = nullptr;
  std::string out;
  int requests_seen = 0;
  int32_t goaway_last = -1;  // >= 0: GOAWAY sent; close once that stream is done
  bool closed = false;

  struct Stream {
    std::map<std::string, std::string> headers;
    int64_t body = 0;
    bool ended = false;
    Clock::time_point due;
    bool answered = false;
    std::string response;
    size_t offset = 0;
    std::vector<std::pair<std::string, std::string>> trailers;
  };
  std::map<int32_t, Stream> streams;

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* f, void* u) {
    auto* c = static_cast<Connection*>(u);
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
      c->streams[f->hd.stream_id];
      int open = 0;
      for (auto& [id, s] : c->streams) open += s.answered ? 0 : 1;
      int seen = c->server->max_concurrent_seen_.load();
      while (open > seen && !c->server->max_concurrent_seen_.compare_exchange_weak(seen, open)) {
      }
    }
    return 0;
  }
  static int OnHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                      const uint8_t* v, size_t vl, uint8_t, void* u) {
    auto* c = static_cast<Connection*>(u);
    auto it = c->streams.find(f->hd.stream_id);
    if (it == c->streams.end()) return 0;
    it->second.headers[std::string(reinterpret_cast<const char*>(n), nl)] =
        std::string(reinterpret_cast<const char*>(v), vl);
    return 0;
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t*, size_t len, void* u) {
    auto* c = static_cast<Connection*>(u);
    auto it = c->streams.find(id);
    if (it != c->streams.end()) it->second.body += static_cast<int64_t>(len);
    c->server->body_bytes_ += static_cast<int64_t>(len);
    return 0;
  }
  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* f, void* u) {
    auto* c = static_cast<Connection*>(u);
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
      ++c->requests_seen;
      int after = c->server->options_.goaway_first_connection_after;
      if (after > 0 && c->number == 1 && c->requests_seen == after && c->goaway_last < 0) {
        c->goaway_last = c->streams.begin()->first;
        nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, c->goaway_last, NGHTTP2_NO_ERROR,
                              nullptr, 0);
      }
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      auto it = c->streams.find(f->hd.stream_id);
      if (it == c->streams.end()) return 0;
      it->second.ended = true;
      it->second.due = Clock::now() + Millis(HeaderInt(it->second.headers, "x-delay-ms", 0));
    }
    return 0;
  }
  static int OnStreamClose(nghttp2_session*, int32_t id, uint32_t, void* u) {
    static_cast<Connection*>(u)->streams.erase(id);
    return 0;
  }
  static ssize_t ReadBody(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* u) {
    auto* c = static_cast<Connection*>(u);
    auto it = c->streams.find(id);
    if (it == c->streams.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    Stream& s = it->second;
    size_t n = std::min(length, s.response.size() - s.offset);
    memcpy(buf, s.response.data() + s.offset, n);
    s.offset += n;
    if (s.offset == s.response.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!s.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva;
        for (auto& [name, value] : s.trailers) {
          nva.push_back({reinterpret_cast<uint8_t*>(name.data()),
                         reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                         NGHTTP2_NV_FLAG_NONE});
        }
        nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      }
    }
    return static_cast<ssize_t>(n);
  }

  void Answer(int32_t id, Stream& s) {
    s.answered = true;
    ++server->requests_;
    auto te = s.headers.find("te");
    int64_t bytes = HeaderInt(s.headers, "x-response-bytes", -1);
    if (bytes >= 0) {
      s.response.assign(static_cast<size_t>(bytes), 'x');
    } else {
      s.response = "method=" + s.headers[":method"] + " path=" + s.headers[":path"] +
                   " authority=" + s.headers[":authority"] + " scheme=" + s.headers[":scheme"] +
                   " te=" + (te == s.headers.end() ? std::string("-") : te->second) +
                   " body=" + std::to_string(s.body) + " conn=" + std::to_string(number) +
                   " request-id=" + s.headers["x-request-id"];
    }
    auto tr = s.headers.find("x-trailers");
    if (tr != s.headers.end()) {
      std::string list = tr->second;
      size_t start = 0;
      while (start < list.size()) {
        size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? std::string::npos
                                                                           : comma - start);
        size_t eq = item.find('=');
        if (eq != std::string::npos) s.trailers.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    std::string status = std::to_string(HeaderInt(s.headers, "x-status", 200));
    std::string type = "text/plain";
    nghttp2_nv nva[] = {
        {reinterpret_cast<uint8_t*>(const_cast<char*>(":status")),
         reinterpret_cast<uint8_t*>(status.data()), 7, status.size(), NGHTTP2_NV_FLAG_NONE},
        {reinterpret_cast<uint8_t*>(const_cast<char*>("content-type")),
         reinterpret_cast<uint8_t*>(type.data()), 12, type.size(), NGHTTP2_NV_FLAG_NONE},
    };
    nghttp2_data_provider provider;
    provider.source.ptr = nullptr;
    provider.read_callback = &ReadBody;
    nghttp2_submit_response(session, id, nva, 2, &provider);
  }

  bool Flush() {
    for (;;) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session, &data);
      if (n < 0) return false;
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    while (!out.empty()) {
      ssize_t n = ssl != nullptr ? SSL_write(ssl, out.data(), static_cast<int>(out.size()))
                                 : send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (ssl != nullptr) {
          int e = SSL_get_error(ssl, static_cast<int>(n));
          if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return true;
          return false;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      out.erase(0, static_cast<size_t>(n));
    }
    return true;
  }
};

H2Upstream::H2Upstream(H2UpstreamOptions options) : options_(std::move(options)) {
  if (options_.tls) ssl_ctx_ = MakeServerCtx(options_);
  listen_fd_ = ListenOnLoopback(64, &port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

H2Upstream::~H2Upstream() {
  stop_ = true;
  acceptor_.join();
  for (std::thread& t : workers_) t.join();
  close(listen_fd_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::string H2Upstream::last_client_cn() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_client_cn_;
}

void H2Upstream::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int n = ++connections_;
    workers_.emplace_back([this, fd, n] { Serve(fd, n); });
  }
}

void H2Upstream::Serve(int fd, int number) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  Connection c;
  c.server = this;
  c.number = number;
  c.fd = fd;
  auto deadline = Clock::now() + Millis(3000);
  if (ssl_ctx_ != nullptr) {
    c.ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(c.ssl, fd);
    for (;;) {
      int rc = SSL_accept(c.ssl);
      if (rc == 1) break;
      int e = SSL_get_error(c.ssl, rc);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || stop_ ||
          Clock::now() > deadline) {
        SSL_free(c.ssl);
        close(fd);
        return;
      }
      pollfd p{fd, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      poll(&p, 1, 20);
    }
    if (X509* peer = SSL_get1_peer_certificate(c.ssl)) {
      char cn[256] = {0};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      X509_free(peer);
      std::lock_guard<std::mutex> lock(mu_);
      last_client_cn_ = cn;
    }
  }
  nghttp2_session_callbacks* cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &Connection::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cb, &Connection::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Connection::OnData);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Connection::OnFrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Connection::OnStreamClose);
  nghttp2_session_server_new(&c.session, cb, &c);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options_.initial_window_size},
  };
  nghttp2_submit_settings(c.session, NGHTTP2_FLAG_NONE, settings, 2);

  while (!stop_) {
    auto now = Clock::now();
    for (auto& [id, s] : c.streams) {
      if (s.ended && !s.answered && now >= s.due) {
        if (c.goaway_last >= 0 && id > c.goaway_last) continue;  // refused by the GOAWAY
        c.Answer(id, s);
      }
    }
    if (!c.Flush()) break;
    if (c.goaway_last >= 0 && c.streams.count(c.goaway_last) == 0 && c.out.empty() &&
        nghttp2_session_want_write(c.session) == 0) {
      break;  // the one request it kept is done
    }
    if (nghttp2_session_want_read(c.session) == 0 && nghttp2_session_want_write(c.session) == 0) {
      break;
    }
    bool pending = c.ssl != nullptr && SSL_pending(c.ssl) > 0;
    if (!pending) {
      pollfd p{fd, POLLIN, 0};
      if (!c.out.empty()) p.events |= POLLOUT;
      if (poll(&p, 1, 5) <= 0) continue;
      if ((p.revents & POLLIN) == 0 && (p.revents & (POLLHUP | POLLERR)) == 0) continue;
    }
    char buf[16384];
    ssize_t n = c.ssl != nullptr ? SSL_read(c.ssl, buf, sizeof buf) : recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (c.ssl != nullptr) {
        int e = SSL_get_error(c.ssl, static_cast<int>(n));
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        continue;
      }
      break;
    }
    if (nghttp2_session_mem_recv(c.session, reinterpret_cast<const uint8_t*>(buf),
                                 static_cast<size_t>(n)) < 0) {
      break;
    }
  }
  nghttp2_session_del(c.session);
  if (c.ssl != nullptr) {
    SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
  }
  close(fd);
}

}  // namespace sluice::testing
