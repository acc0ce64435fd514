#include "dataplane/upstream/upstream_stream.h"

namespace sluice {

const char* UpstreamErrorName(UpstreamError e) {
  switch (e) {
    case UpstreamError::kConnectFailed: return "connect_failed";
    case UpstreamError::kConnectTimeout: return "connect_timeout";
    case UpstreamError::kReadTimeout: return "read_timeout";
    case UpstreamError::kWriteTimeout: return "write_timeout";
    case UpstreamError::kReset: return "reset";
    case UpstreamError::kProtocol: return "protocol_error";
    case UpstreamError::kTls: return "tls_error";
  }
  return "unknown";
}

}  // namespace sluice
