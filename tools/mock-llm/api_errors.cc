#include "tools/mock-llm/api_errors.h"

#include "common/json.h"

namespace sluice::mock_llm {

std::string_view ErrorTypeForStatus(ApiDialect dialect, int status) {
  switch (status) {
    case 400: case 405: case 409: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 408: return "timeout_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: break;
  }
  if (status >= 500) return dialect == ApiDialect::kAnthropic ? "api_error" : "server_error";
  return "invalid_request_error";
}

std::string ErrorBody(ApiDialect dialect, int status, std::string_view code,
                      std::string_view message) {
  std::string out;
  out.reserve(96 + message.size());
  if (dialect == ApiDialect::kAnthropic) {
    out.append("{\"type\":\"error\",\"error\":{\"type\":");
    AppendJsonString(&out, ErrorTypeForStatus(dialect, status));
    out.append(",\"message\":");
    AppendJsonString(&out, message);
    out.append("}}");
    return out;
  }
  out.append("{\"error\":{\"message\":");
  AppendJsonString(&out, message);
  out.append(",\"type\":");
  AppendJsonString(&out, ErrorTypeForStatus(dialect, status));
  out.append(",\"param\":null,\"code\":");
  AppendJsonString(&out, code);
  out.append("}}");
  return out;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Overloaded";
    default: return "Status";
  }
}

}  // namespace sluice::mock_llm
