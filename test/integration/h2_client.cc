#include "test/integration/h2_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace sluice::testing {

namespace {
int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string H2Response::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string H2Response::Describe() const {
  std::ostringstream o;
  o << "stream " << stream_id << " status " << status << " reset " << reset_code
    << (complete ? " complete" : " incomplete") << " body: " << body.substr(0, 400);
  return o.str();
}

struct H2Client::Impl {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  nghttp2_session* session = nullptr;
  bool closed = false;
  bool goaway = false;
  std::string error;
  std::string authority;
  std::string out;  // bytes nghttp2 produced, not yet written

  struct Pending {
    const H2Request* req = nullptr;
    size_t offset = 0;
    H2Response resp;
    bool done = false;
    // The HEADERS frame being read follows the final response: trailers.
    bool in_trailers = false;
  };
  std::map<int32_t, Pending> streams;
  std::vector<std::unique_ptr<std::vector<std::pair<std::string, std::string>>>> field_store;

  ~Impl() {
    if (session != nullptr) nghttp2_session_del(session);
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
  }

  // Writes `out` and reads what is there; returns false when the connection is gone.
  bool Pump(Clock::time_point deadline) {
    pollfd p{fd, POLLIN, 0};
    if (!out.empty()) p.events |= POLLOUT;
    if (ssl != nullptr && SSL_pending(ssl) > 0) {
      p.revents = POLLIN;
    } else {
      auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      if (left <= 0) return true;
      int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 50)));
      if (rc <= 0) return true;
    }
    if ((p.revents & POLLOUT) && !out.empty()) {
      ssize_t n = ssl != nullptr ? SSL_write(ssl, out.data(), static_cast<int>(out.size()))
                                 : send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out.erase(0, static_cast<size_t>(n));
      } else if (ssl == nullptr ? (errno != EAGAIN && errno != EWOULDBLOCK)
                                : (SSL_get_error(ssl, static_cast<int>(n)) != SSL_ERROR_WANT_WRITE &&
                                   SSL_get_error(ssl, static_cast<int>(n)) != SSL_ERROR_WANT_READ)) {
        closed = true;
        return false;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[16384];
      ssize_t n = ssl != nullptr ? SSL_read(ssl, buf, sizeof buf) : recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        ssize_t used = nghttp2_session_mem_recv(session, reinterpret_cast<uint8_t*>(buf),
                                                static_cast<size_t>(n));
        if (used < 0) {
          error = std::string("nghttp2: ") + nghttp2_strerror(static_cast<int>(used));
          closed = true;
          return false;
        }
      } else if (n == 0) {
        closed = true;
        return false;
      } else if (ssl == nullptr ? (errno != EAGAIN && errno != EWOULDBLOCK)
                                : SSL_get_error(ssl, static_cast<int>(n)) != SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        closed = true;
        return false;
      }
    }
    Flush();
    return true;
  }

  void Flush() {
    for (;;) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session, &data);
      if (n <= 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->streams.find(frame->hd.stream_id);
    if (it == self->streams.end()) return 0;
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    H2Response& r = it->second.resp;
    if (n == ":status") {
      int status = std::atoi(v.c_str());
      if (status >= 200) r.status = status;  // interim responses are not the answer
      it->second.in_trailers = false;
      return 0;
    }
    auto& target = it->second.in_trailers ? r.trailers : r.headers;
    auto [pos, fresh] = target.emplace(n, v);
    if (!fresh) pos->second += ", " + v;
    return 0;
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->streams.find(frame->hd.stream_id);
    if (it != self->streams.end()) it->second.in_trailers = it->second.resp.status >= 200;
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) self->goaway = true;
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                    void* user) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->streams.find(stream_id);
    if (it == self->streams.end()) return 0;
    it->second.resp.body.append(reinterpret_cast<const char*>(data), len);
    it->second.resp.chunk_times_us.push_back(NowUs());
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t code, void* user) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->streams.find(stream_id);
    if (it == self->streams.end()) return 0;
    it->second.done = true;
    if (code != NGHTTP2_NO_ERROR) {
      it->second.resp.reset_code = static_cast<int>(code);
    } else {
      it->second.resp.complete = true;
    }
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<Impl*>(user);
    Pending& p = self->streams[stream_id];
    const std::string& body = p.req->body;
    size_t n = std::min({length, body.size() - p.offset, p.req->chunk});
    memcpy(buf, body.data() + p.offset, n);
    p.offset += n;
    if (p.offset == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

H2Client::H2Client() : impl_(std::make_unique<Impl>()) {}
H2Client::~H2Client() = default;

bool H2Client::Connect(const std::string& host_port, const H2Options& options, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  size_t colon = host_port.rfind(':');
  std::string host = host_port.substr(0, colon), port = host_port.substr(colon + 1);
  impl_->authority = host_port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    error_ = "cannot resolve " + host;
    return false;
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = connect(fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (rc != 0) {
    error_ = std::string("connect: ") + strerror(errno);
    close(fd);
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  impl_->fd = fd;
  if (options.tls) {
    impl_->ctx = SSL_CTX_new(TLS_client_method());
    std::string wire;
    for (const std::string& p : options.alpn) {
      wire.push_back(static_cast<char>(p.size()));
      wire += p;
    }
    SSL_CTX_set_alpn_protos(impl_->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
    if (!options.ca_pem.empty()) {
      BIO* bio = BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size()));
      X509_STORE* store = SSL_CTX_get_cert_store(impl_->ctx);
      while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, ca);
        X509_free(ca);
      }
      ERR_clear_error();
      BIO_free(bio);
      SSL_CTX_set_verify(impl_->ctx, SSL_VERIFY_PEER, nullptr);
    }
    if (options.max_tls_version != 0) {
      SSL_CTX_set_min_proto_version(impl_->ctx, 0);
      SSL_CTX_set_max_proto_version(impl_->ctx, options.max_tls_version);
      SSL_CTX_set_security_level(impl_->ctx, 0);
    }
    impl_->ssl = SSL_new(impl_->ctx);
    if (!options.sni.empty()) {
      SSL_set_tlsext_host_name(impl_->ssl, options.sni.c_str());
      if (!options.ca_pem.empty()) SSL_set1_host(impl_->ssl, options.sni.c_str());
    }
    SSL_set_fd(impl_->ssl, fd);
    // Blocking handshake bounded by a socket timeout.
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    timeval tv{static_cast<time_t>(left.count() / 1000000),
               static_cast<suseconds_t>(left.count() % 1000000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (SSL_connect(impl_->ssl) != 1) {
      unsigned long e = ERR_get_error();
      char buf[256] = "";
      if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
      error_ = std::string("TLS handshake failed: ") + buf;
      ERR_clear_error();
      return false;
    }
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Impl::OnHeader);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Impl::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Impl::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Impl::OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Impl::OnStreamClose);
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  // The test client must be able to send what a strict client would refuse to.
  nghttp2_option_set_no_http_messaging(opt, 1);
  nghttp2_session_client_new2(&impl_->session, cbs, impl_.get(), opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options.initial_window_size},
                                 {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(impl_->session, NGHTTP2_FLAG_NONE, iv, 2);
  impl_->Flush();
  return true;
}

std::vector<H2Response> H2Client::Exchange(const std::vector<H2Request>& requests,
                                           Millis timeout) {
  auto deadline = Clock::now() + timeout;
  std::vector<int32_t> ids;
  for (const H2Request& req : requests) {
    // Kept alive until the stream ends: names are not copied, so that nghttp2 does not
    // lower-case them (tests send upper-case names on purpose).
    auto& fields = *impl_->field_store.emplace_back(
        std::make_unique<std::vector<std::pair<std::string, std::string>>>());
    fields = {{":method", req.method},
              {":scheme", req.scheme},
              {":authority", req.authority.empty() ? impl_->authority : req.authority},
              {":path", req.path}};
    if (req.path.empty()) fields.erase(fields.begin() + 3);
    for (const auto& h : req.headers) fields.push_back(h);
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()),
                     n.size(), v.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME});
    }
    nghttp2_data_provider prd;
    prd.source.ptr = nullptr;
    prd.read_callback = &Impl::ReadBody;
    int32_t id = nghttp2_submit_request(impl_->session, nullptr, nva.data(), nva.size(),
                                        req.body.empty() ? nullptr : &prd, nullptr);
    if (id < 0) {
      error_ = std::string("submit: ") + nghttp2_strerror(id);
      ids.push_back(-1);
      continue;
    }
    Impl::Pending& p = impl_->streams[id];
    p.req = &req;
    p.resp.stream_id = id;
    ids.push_back(id);
  }
  impl_->Flush();
  auto all_done = [&] {
    for (int32_t id : ids) {
      if (id > 0 && !impl_->streams[id].done) return false;
    }
    return true;
  };
  while (!all_done() && Clock::now() < deadline) {
    if (!impl_->Pump(deadline)) break;
  }
  std::vector<H2Response> out;
  for (int32_t id : ids) {
    if (id <= 0) {
      out.emplace_back();
      continue;
    }
    out.push_back(impl_->streams[id].resp);
    impl_->streams.erase(id);
  }
  if (!impl_->error.empty()) error_ = impl_->error;
  return out;
}

H2Response H2Client::Send(const H2Request& request, Millis timeout) {
  return Exchange({request}, timeout).front();
}

std::string H2Client::alpn() const {
  if (impl_->ssl == nullptr) return "";
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(impl_->ssl, &p, &len);
  return std::string(reinterpret_cast<const char*>(p), len);
}

std::string H2Client::peer_subject() const {
  if (impl_->ssl == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(impl_->ssl);
  if (cert == nullptr) return "";
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

bool H2Client::RapidReset(int count, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  std::string method = "GET", scheme = "http", path = "/", authority = impl_->authority;
  nghttp2_nv nva[] = {
      {reinterpret_cast<uint8_t*>(const_cast<char*>(":method")), reinterpret_cast<uint8_t*>(method.data()), 7, method.size(), NGHTTP2_NV_FLAG_NONE},
      {reinterpret_cast<uint8_t*>(const_cast<char*>(":scheme")), reinterpret_cast<uint8_t*>(scheme.data()), 7, scheme.size(), NGHTTP2_NV_FLAG_NONE},
      {reinterpret_cast<uint8_t*>(const_cast<char*>(":path")), reinterpret_cast<uint8_t*>(path.data()), 5, path.size(), NGHTTP2_NV_FLAG_NONE},
      {reinterpret_cast<uint8_t*>(const_cast<char*>(":authority")), reinterpret_cast<uint8_t*>(authority.data()), 10, authority.size(), NGHTTP2_NV_FLAG_NONE}};
  for (int i = 0; i < count && !impl_->closed; ++i) {
    int32_t id = nghttp2_submit_request(impl_->session, nullptr, nva, 4, nullptr, nullptr);
    if (id < 0) break;
    // The HEADERS must be serialised first: nghttp2 drops a reset of a stream not yet opened.
    impl_->Flush();
    nghttp2_submit_rst_stream(impl_->session, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    if (i % 50 == 49) {
      impl_->Flush();
      while (!impl_->out.empty() && impl_->Pump(deadline) && Clock::now() < deadline) {
      }
    }
  }
  impl_->Flush();
  while (!impl_->closed && Clock::now() < deadline) {
    if (!impl_->Pump(deadline)) break;
  }
  return impl_->closed;
}

uint32_t H2Client::RemoteSetting(int id) const {
  return nghttp2_session_get_remote_settings(impl_->session,
                                             static_cast<nghttp2_settings_id>(id));
}

std::string H2Client::peer_fingerprint() const {
  if (impl_->ssl == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(impl_->ssl);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  X509_free(cert);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

bool H2Client::goaway_received() const { return impl_->goaway; }
bool H2Client::closed() const { return impl_->closed; }

}  // namespace sluice::testing
