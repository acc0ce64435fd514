#include "dataplane/http/h1_request_validator.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace sluice::http {

// Contiguous groups matter: every state from kChunkSizeStart to kChunkSizeLf is part of a
// chunk-size line (its length is bounded).
enum class H1RequestValidator::State : uint8_t {
  kStart,  // before the request line; empty lines (CRLF) are skipped
  kStartLf,
  kMethod,
  kTargetStart,
  kTarget,
  kVersion,
  kRequestLineLf,
  kLineStart,  // a field line or the empty line that ends the head (or the trailer section)
  kName,
  kNameWs,
  kValue,
  kValueLf,
  kHeadEndLf,
  kCrInsideLine,  // a CR where the line cannot end yet
  kFixedBody,
  kChunkSizeStart,
  kChunkSize,
  kChunkSizeWs,
  kChunkExtNameStart,
  kChunkExtName,
  kChunkExtAfterName,
  kChunkExtValueStart,
  kChunkExtToken,
  kChunkExtQuoted,
  kChunkExtQuotedPair,
  kChunkExtAfterValue,
  kChunkSizeLf,
  kChunkData,
  kChunkDataCr,
  kChunkDataLf,
  kDone,
  kFailed,
};

namespace {

enum Violation : int {
  kOk = 0,
  kBareCr,
  kBareLf,
  kInvalidMethod,
  kInvalidRequestLine,
  kInvalidRequestTarget,
  kInvalidHttpVersion,
  kHttpVersionNotSupported,
  kObsFold,
  kEmptyHeaderName,
  kInvalidHeaderName,
  kUnderscoreInHeaderName,
  kWhitespaceInHeaderName,
  kWhitespaceBeforeColon,
  kHeaderWithoutColon,
  kInvalidHeaderValue,
  kInvalidContentLength,
  kDuplicateContentLength,
  kContentLengthOverflow,
  kContentLengthWithTransferEncoding,
  kInvalidTransferEncoding,
  kTransferEncodingNotChunked,
  kUnsupportedTransferCoding,
  kTransferEncodingInHttp10,
  kInvalidChunkSize,
  kChunkSizeOverflow,
  kInvalidChunkExtension,
  kChunkLineTooLong,
  kMissingCrlfAfterChunkData,
  kViolationCount,
};

struct ViolationText {
  std::string_view reason;
  std::string_view explanation;
};

// Reasons are stable (clients and tests match on them); explanations say what to fix.
constexpr ViolationText kViolationText[kViolationCount] = {
    {"ok", ""},
    {"bare_cr", "CR not followed by LF; lines end with CRLF"},
    {"bare_lf", "line ends with LF alone; lines end with CRLF"},
    {"invalid_method", "the method is not a token"},
    {"invalid_request_line", "the request line must be: method SP request-target SP HTTP-version"},
    {"invalid_request_target", "control character or DEL in the request target"},
    {"invalid_http_version", "the HTTP version must be HTTP/<digit>.<digit>"},
    {"http_version_not_supported", "only HTTP/1.x is spoken on this port"},
    {"obs_fold", "a header line starts with whitespace (obsolete line folding is not accepted)"},
    {"empty_header_name", "a header line has no name before its colon"},
    {"invalid_header_name", "a header name has a character that is not a token character"},
    {"underscore_in_header_name", "header names with '_' are refused; use '-'"},
    {"whitespace_in_header_name", "a header name contains whitespace"},
    {"whitespace_before_colon", "whitespace between a header name and its colon"},
    {"header_without_colon", "a header line has no colon"},
    {"invalid_header_value", "control character (NUL, DEL, ...) in a header value"},
    {"invalid_content_length", "Content-Length must be a single decimal number"},
    {"duplicate_content_length", "more than one Content-Length header"},
    {"content_length_overflow", "Content-Length is too large"},
    {"content_length_with_transfer_encoding",
     "a request must not carry both Content-Length and Transfer-Encoding"},
    {"invalid_transfer_encoding", "malformed Transfer-Encoding list"},
    {"transfer_encoding_not_chunked", "the final transfer coding of a request must be chunked"},
    {"unsupported_transfer_coding", "only Transfer-Encoding: chunked is accepted"},
    {"transfer_encoding_in_http10", "Transfer-Encoding is not allowed in an HTTP/1.0 request"},
    {"invalid_chunk_size", "a chunk size must be hexadecimal digits followed by CRLF or ';'"},
    {"chunk_size_overflow", "chunk size is too large"},
    {"invalid_chunk_extension", "malformed chunk extension"},
    {"chunk_line_too_long", "chunk-size line (with extensions) is too long"},
    {"missing_crlf_after_chunk_data", "chunk data must be followed by CRLF"},
};

constexpr uint8_t kTchar = 1;       // token character (RFC 9110 §5.6.2)
constexpr uint8_t kFieldChar = 2;   // field-vchar, SP, HTAB (RFC 9110 §5.5)
constexpr uint8_t kTargetChar = 4;  // VCHAR or obs-text
constexpr uint8_t kHexDigit = 8;
constexpr uint8_t kQdText = 16;  // quoted-string text (RFC 9110 §5.6.4)
constexpr uint8_t kTcharExceptUnderscore = 32;

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t k = 0;
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum) k |= kTchar | kTcharExceptUnderscore;
    for (char s : std::string_view("!#$%&'*+-.^`|~")) {
      if (c == s) k |= kTchar | kTcharExceptUnderscore;
    }
    if (c == '_') k |= kTchar;
    bool vchar = c >= 0x21 && c <= 0x7e;
    bool obs_text = c >= 0x80;
    if (vchar || obs_text || c == ' ' || c == '\t') k |= kFieldChar;
    if (vchar || obs_text) k |= kTargetChar;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= kHexDigit;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
        (c >= 0x5d && c <= 0x7e) || obs_text) {
      k |= kQdText;
    }
    t[static_cast<size_t>(c)] = k;
  }
  return t;
}

constexpr std::array<uint8_t, 256> kClass = MakeClasses();

inline bool Is(uint8_t c, uint8_t cls) { return (kClass[c] & cls) != 0; }
inline bool IsWs(uint8_t c) { return c == ' ' || c == '\t'; }
inline uint8_t Lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}
// `lower` is already lower case.
bool EqualsLowerCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(static_cast<uint8_t>(s[i])) != static_cast<uint8_t>(lower[i])) return false;
  }
  return true;
}

inline uint64_t HexValue(uint8_t c) {
  if (c <= '9') return c - '0';
  return (Lower(c) - 'a') + 10u;
}

constexpr std::string_view kContentLength = "content-length";
constexpr std::string_view kTransferEncoding = "transfer-encoding";
constexpr std::string_view kChunked = "chunked";
constexpr std::string_view kHttpSlash = "HTTP/";
constexpr std::string_view kConnect = "CONNECT";
constexpr uint64_t kMaxLength = INT64_MAX;

// name_candidates_ bits and field_kind_ values.
constexpr uint8_t kCandidateCl = 1;
constexpr uint8_t kCandidateTe = 2;
constexpr uint8_t kFieldOther = 0;
constexpr uint8_t kFieldContentLength = 1;
constexpr uint8_t kFieldTransferEncoding = 2;

// sub_state_ inside a Content-Length value.
constexpr uint8_t kClBefore = 0;
constexpr uint8_t kClDigits = 1;
constexpr uint8_t kClAfter = 2;
// sub_state_ inside a Transfer-Encoding value.
constexpr uint8_t kTeBefore = 0;  // before a coding (start, or after a comma)
constexpr uint8_t kTeToken = 1;
constexpr uint8_t kTeAfter = 2;

absl::Status ViolationStatus(int v) {
  const ViolationText& t = kViolationText[v];
  std::string message;
  message.reserve(t.reason.size() + 2 + t.explanation.size());
  message.append(t.reason).append(": ").append(t.explanation);
  if (v == kHttpVersionNotSupported) return absl::UnimplementedError(message);
  return absl::InvalidArgumentError(message);
}

}  // namespace

H1RequestValidator::H1RequestValidator(const H1Strictness& options) : options_(options) {
  StartRequest();
}

void H1RequestValidator::CrInsideLine(int violation_if_crlf) {
  violation_if_crlf_ = violation_if_crlf;
  state_ = State::kCrInsideLine;
}

void H1RequestValidator::StartRequest() {
  state_ = State::kStart;
  in_trailers_ = false;
  name_len_ = 0;
  name_candidates_ = 0;
  field_kind_ = kFieldOther;
  sub_state_ = 0;
  version_pos_ = 0;
  method_len_ = 0;
  is_connect_ = false;
  version_minor_ = '1';
  cl_seen_ = false;
  te_seen_ = false;
  te_token_is_chunked_ = false;
  te_last_is_chunked_ = false;
  te_token_len_ = 0;
  te_codings_ = 0;
  content_length_ = 0;
  remaining_ = 0;
  chunk_line_bytes_ = 0;
}

bool H1RequestValidator::RequestComplete() const { return state_ == State::kDone; }

absl::Status H1RequestValidator::Fail(int violation, const uint8_t* at, const char* data,
                                      size_t* consumed) {
  violation_ = violation;
  state_ = State::kFailed;
  *consumed = static_cast<size_t>(at - reinterpret_cast<const uint8_t*>(data));
  return ViolationStatus(violation);
}

const uint8_t* H1RequestValidator::FieldLines(const uint8_t* p, const uint8_t* end) const {
  const uint8_t name_class =
      options_.allow_underscores_in_header_names ? kTchar : kTcharExceptUnderscore;
  while (true) {
    const uint8_t* q = p;
    while (q < end && Is(*q, name_class)) ++q;
    const size_t name_len = static_cast<size_t>(q - p);
    if (name_len == 0 || q == end || *q != ':') return p;
    if (name_len == kContentLength.size() || name_len == kTransferEncoding.size()) {
      // Possibly a framing header: the state machine reads those.
      const std::string_view name(reinterpret_cast<const char*>(p), name_len);
      if (EqualsLowerCase(name, kContentLength) || EqualsLowerCase(name, kTransferEncoding)) {
        return p;
      }
    }
    ++q;
    while (q < end && Is(*q, kFieldChar)) ++q;
    if (end - q < 2 || q[0] != '\r' || q[1] != '\n') return p;
    p = q + 2;
  }
}

int H1RequestValidator::EndOfFieldLine() {
  if (field_kind_ == kFieldContentLength) {
    if (sub_state_ == kClBefore) return kInvalidContentLength;
  } else if (field_kind_ == kFieldTransferEncoding) {
    if (sub_state_ == kTeBefore) return kInvalidTransferEncoding;  // empty value or trailing ','
    if (sub_state_ == kTeToken) {
      ++te_codings_;
      te_last_is_chunked_ = te_token_is_chunked_ && te_token_len_ == kChunked.size();
    }
  }
  field_kind_ = kFieldOther;
  return kOk;
}

int H1RequestValidator::EndOfHead() {
  if (in_trailers_) {
    state_ = State::kDone;
    return kOk;
  }
  if (te_seen_) {
    // RFC 9112 §6.1: CL+TE is the classic smuggling pair; refused rather than "TE wins".
    if (cl_seen_) return kContentLengthWithTransferEncoding;
    if (version_minor_ == '0') return kTransferEncodingInHttp10;
    if (!te_last_is_chunked_) return kTransferEncodingNotChunked;
    // A coding before chunked (gzip, chunked) or chunked twice: Transfer-Encoding is hop-by-hop,
    // so the upstream would get the coded bytes without being told how they are coded.
    if (te_codings_ > 1) return kUnsupportedTransferCoding;
  }
  // http-parser ends a CONNECT request at its head whatever its framing headers say (what follows
  // is the tunnel); so does the validator, or the two would split the stream differently.
  if (is_connect_) {
    state_ = State::kDone;
    return kOk;
  }
  if (te_seen_) {
    state_ = State::kChunkSizeStart;
    chunk_line_bytes_ = 0;
    remaining_ = 0;
    return kOk;
  }
  if (content_length_ > 0) {
    remaining_ = content_length_;
    state_ = State::kFixedBody;
    return kOk;
  }
  state_ = State::kDone;
  return kOk;
}

absl::Status H1RequestValidator::Scan(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (state_ == State::kFailed) return ViolationStatus(violation_);
  if (state_ == State::kDone) StartRequest();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data);
  const uint8_t* const end = p + len;
#define SLUICE_H1_FAIL(v) return Fail((v), p, data, consumed)
  while (p < end && state_ != State::kDone) {
    const uint8_t c = *p;
    if (state_ >= State::kChunkSizeStart && state_ <= State::kChunkSizeLf) {
      if (++chunk_line_bytes_ > options_.max_chunk_line_bytes) SLUICE_H1_FAIL(kChunkLineTooLong);
      if (c == '\n' && state_ != State::kChunkSizeLf) SLUICE_H1_FAIL(kBareLf);
    }
    switch (state_) {
      case State::kStart:
        if (c == '\r') {
          state_ = State::kStartLf;
        } else if (Is(c, kTchar)) {
          state_ = State::kMethod;
          method_len_ = 0;
          is_connect_ = true;
          continue;  // the method state reads this byte
        } else {
          SLUICE_H1_FAIL(c == '\n' ? kBareLf : kInvalidMethod);
        }
        break;
      case State::kStartLf:
        if (c != '\n') SLUICE_H1_FAIL(kBareCr);
        state_ = State::kStart;
        break;
      case State::kMethod: {
        while (p < end && Is(*p, kTchar)) {
          if (method_len_ >= kConnect.size() || *p != static_cast<uint8_t>(kConnect[method_len_])) {
            is_connect_ = false;
          }
          if (method_len_ < UINT8_MAX) ++method_len_;
          ++p;
        }
        if (p == end) continue;
        const uint8_t m = *p;
        if (m == ' ') {
          is_connect_ = is_connect_ && method_len_ == kConnect.size();
          state_ = State::kTargetStart;
        } else if (m == '\r') {
          CrInsideLine(kInvalidRequestLine);
        } else if (m == '\n') {
          SLUICE_H1_FAIL(kBareLf);
        } else {
          SLUICE_H1_FAIL(kInvalidMethod);
        }
        break;
      }
      case State::kTargetStart:
        if (Is(c, kTargetChar)) {
          state_ = State::kTarget;
        } else if (c == ' ') {
          SLUICE_H1_FAIL(kInvalidRequestLine);
        } else if (c == '\r') {
          CrInsideLine(kInvalidRequestLine);
        } else if (c == '\n') {
          SLUICE_H1_FAIL(kBareLf);
        } else {
          SLUICE_H1_FAIL(kInvalidRequestTarget);
        }
        break;
      case State::kTarget: {
        while (p < end && Is(*p, kTargetChar)) ++p;
        if (p == end) continue;
        const uint8_t t = *p;
        if (t == ' ') {
          state_ = State::kVersion;
          version_pos_ = 0;
        } else if (t == '\r') {
          CrInsideLine(kInvalidRequestLine);  // HTTP/0.9 style, no version
        } else if (t == '\n') {
          SLUICE_H1_FAIL(kBareLf);
        } else {
          SLUICE_H1_FAIL(kInvalidRequestTarget);
        }
        break;
      }
      case State::kVersion:
        if (version_pos_ == 0 && end - p >= 10 && std::memcmp(p, "HTTP/1.", 7) == 0 &&
            p[7] >= '0' && p[7] <= '9' && p[8] == '\r' && p[9] == '\n') {
          version_minor_ = static_cast<char>(p[7]);
          p += 10;
          state_ = State::kLineStart;
          p = FieldLines(p, end);
          continue;
        }
        if (c == '\n') SLUICE_H1_FAIL(kBareLf);
        if (c == '\r' && version_pos_ < 8) {
          CrInsideLine(kInvalidHttpVersion);
        } else if (version_pos_ < kHttpSlash.size()) {
          if (c != static_cast<uint8_t>(kHttpSlash[version_pos_]))
            SLUICE_H1_FAIL(kInvalidHttpVersion);
        } else if (version_pos_ == 5) {
          if (c < '0' || c > '9') SLUICE_H1_FAIL(kInvalidHttpVersion);
          if (c != '1') SLUICE_H1_FAIL(kHttpVersionNotSupported);
        } else if (version_pos_ == 6) {
          if (c != '.') SLUICE_H1_FAIL(kInvalidHttpVersion);
        } else if (version_pos_ == 7) {
          if (c < '0' || c > '9') SLUICE_H1_FAIL(kInvalidHttpVersion);
          version_minor_ = static_cast<char>(c);
        } else {
          if (c != '\r') SLUICE_H1_FAIL(kInvalidHttpVersion);
          state_ = State::kRequestLineLf;
        }
        ++version_pos_;
        break;
      case State::kRequestLineLf:
        if (c != '\n') SLUICE_H1_FAIL(kBareCr);
        state_ = State::kLineStart;
        p = FieldLines(p + 1, end);
        continue;
      case State::kLineStart:
        if (c == '\r') {
          state_ = State::kHeadEndLf;
        } else if (Is(c, kTchar)) {
          state_ = State::kName;
          name_len_ = 0;
          name_candidates_ = in_trailers_ ? 0 : (kCandidateCl | kCandidateTe);
          continue;  // the name loop reads this byte
        } else if (c == '\n') {
          SLUICE_H1_FAIL(kBareLf);
        } else if (IsWs(c)) {
          SLUICE_H1_FAIL(kObsFold);
        } else if (c == ':') {
          SLUICE_H1_FAIL(kEmptyHeaderName);
        } else {
          SLUICE_H1_FAIL(kInvalidHeaderName);
        }
        break;
      case State::kName: {
        // Matching against the framing names stops after a byte or two for most names.
        while (name_candidates_ != 0 && p < end && Is(*p, kTchar)) {
          const uint8_t l = Lower(*p);
          if (name_len_ >= kContentLength.size() ||
              l != static_cast<uint8_t>(kContentLength[name_len_])) {
            name_candidates_ &= static_cast<uint8_t>(~kCandidateCl);
          }
          if (name_len_ >= kTransferEncoding.size() ||
              l != static_cast<uint8_t>(kTransferEncoding[name_len_])) {
            name_candidates_ &= static_cast<uint8_t>(~kCandidateTe);
          }
          ++name_len_;
          if (*p == '_' && !options_.allow_underscores_in_header_names) {
            SLUICE_H1_FAIL(kUnderscoreInHeaderName);
          }
          ++p;
        }
        const uint8_t name_class =
            options_.allow_underscores_in_header_names ? kTchar : kTcharExceptUnderscore;
        const uint8_t* const name_start = p;
        while (p < end && Is(*p, name_class)) ++p;
        name_len_ += static_cast<uint32_t>(p - name_start);
        if (p == end) continue;
        const uint8_t t = *p;
        if (t == ':') {
          field_kind_ = kFieldOther;
          if ((name_candidates_ & kCandidateCl) && name_len_ == kContentLength.size()) {
            if (cl_seen_) SLUICE_H1_FAIL(kDuplicateContentLength);
            cl_seen_ = true;
            field_kind_ = kFieldContentLength;
            sub_state_ = kClBefore;
          } else if ((name_candidates_ & kCandidateTe) && name_len_ == kTransferEncoding.size()) {
            te_seen_ = true;
            field_kind_ = kFieldTransferEncoding;
            sub_state_ = kTeBefore;
          }
          state_ = State::kValue;
        } else if (t == '_') {
          SLUICE_H1_FAIL(kUnderscoreInHeaderName);
        } else if (IsWs(t)) {
          state_ = State::kNameWs;
        } else if (t == '\r') {
          CrInsideLine(kHeaderWithoutColon);
        } else if (t == '\n') {
          SLUICE_H1_FAIL(kBareLf);
        } else {
          SLUICE_H1_FAIL(kInvalidHeaderName);
        }
        break;
      }
      case State::kNameWs:
        if (IsWs(c)) break;
        if (c == ':') SLUICE_H1_FAIL(kWhitespaceBeforeColon);
        if (c == '\r') {
          CrInsideLine(kHeaderWithoutColon);
          break;
        }
        if (c == '\n') SLUICE_H1_FAIL(kBareLf);
        SLUICE_H1_FAIL(Is(c, kTchar) ? kWhitespaceInHeaderName : kInvalidHeaderName);
      case State::kCrInsideLine:
        SLUICE_H1_FAIL(c == '\n' ? violation_if_crlf_ : kBareCr);
      case State::kValue: {
        if (field_kind_ == kFieldOther) {
          while (p < end && Is(*p, kFieldChar)) ++p;
          if (p == end) continue;
        }
        const uint8_t v = *p;
        if (v == '\r') {
          state_ = State::kValueLf;
          break;
        }
        if (v == '\n') SLUICE_H1_FAIL(kBareLf);
        if (!Is(v, kFieldChar)) SLUICE_H1_FAIL(kInvalidHeaderValue);
        if (field_kind_ == kFieldContentLength) {
          const bool digit = v >= '0' && v <= '9';
          if (sub_state_ == kClBefore) {
            if (IsWs(v)) break;
            if (!digit) SLUICE_H1_FAIL(kInvalidContentLength);
            sub_state_ = kClDigits;
          }
          if (sub_state_ == kClDigits) {
            if (digit) {
              const uint64_t d = v - '0';
              if (content_length_ > (kMaxLength - d) / 10) SLUICE_H1_FAIL(kContentLengthOverflow);
              content_length_ = content_length_ * 10 + d;
              break;
            }
            if (!IsWs(v)) SLUICE_H1_FAIL(kInvalidContentLength);  // "13, 14", "+5", "5x"
            sub_state_ = kClAfter;
            break;
          }
          if (!IsWs(v)) SLUICE_H1_FAIL(kInvalidContentLength);  // "1 3"
        } else if (field_kind_ == kFieldTransferEncoding) {
          if (sub_state_ == kTeBefore) {
            if (IsWs(v)) break;
            if (!Is(v, kTchar)) SLUICE_H1_FAIL(kInvalidTransferEncoding);  // ",chunked", ",,"
            sub_state_ = kTeToken;
            te_token_len_ = 0;
            te_token_is_chunked_ = true;
          }
          if (sub_state_ == kTeToken) {
            if (Is(v, kTchar)) {
              if (te_token_len_ >= kChunked.size() ||
                  Lower(v) != static_cast<uint8_t>(kChunked[te_token_len_])) {
                te_token_is_chunked_ = false;
              }
              ++te_token_len_;
              break;
            }
            ++te_codings_;
            te_last_is_chunked_ = te_token_is_chunked_ && te_token_len_ == kChunked.size();
            sub_state_ = kTeAfter;
          }
          // After a coding: OWS, then ',' or the end of the line. Parameters (';') are refused.
          if (IsWs(v)) break;
          if (v != ',') SLUICE_H1_FAIL(kInvalidTransferEncoding);
          sub_state_ = kTeBefore;
        }
        break;
      }
      case State::kValueLf: {
        if (c != '\n') SLUICE_H1_FAIL(kBareCr);
        if (int v = EndOfFieldLine(); v != kOk) SLUICE_H1_FAIL(v);
        state_ = State::kLineStart;
        p = FieldLines(p + 1, end);
        continue;
      }
      case State::kHeadEndLf: {
        if (c != '\n') SLUICE_H1_FAIL(kBareCr);
        if (int v = EndOfHead(); v != kOk) SLUICE_H1_FAIL(v);
        break;
      }
      case State::kFixedBody: {
        const uint64_t n = std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p));
        p += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDone;
        continue;
      }
      case State::kChunkSizeStart:
        if (!Is(c, kHexDigit)) SLUICE_H1_FAIL(kInvalidChunkSize);  // "-1", " 5", ""
        remaining_ = HexValue(c);
        state_ = State::kChunkSize;
        break;
      case State::kChunkSize:
        if (Is(c, kHexDigit)) {
          if (remaining_ > (kMaxLength >> 4)) SLUICE_H1_FAIL(kChunkSizeOverflow);
          remaining_ = (remaining_ << 4) | HexValue(c);
        } else if (c == '\r') {
          state_ = State::kChunkSizeLf;
        } else if (c == ';') {
          state_ = State::kChunkExtNameStart;
        } else if (IsWs(c)) {
          state_ = State::kChunkSizeWs;
        } else {
          SLUICE_H1_FAIL(kInvalidChunkSize);  // "0x5", "5x"
        }
        break;
      case State::kChunkSizeWs:
        // BWS is allowed only before an extension: "5 ;a" but not "5 ".
        if (IsWs(c)) break;
        if (c != ';') SLUICE_H1_FAIL(kInvalidChunkSize);
        state_ = State::kChunkExtNameStart;
        break;
      case State::kChunkExtNameStart:
        if (IsWs(c)) break;
        if (!Is(c, kTchar)) SLUICE_H1_FAIL(kInvalidChunkExtension);
        state_ = State::kChunkExtName;
        break;
      case State::kChunkExtName:
      case State::kChunkExtAfterName:
        if (Is(c, kTchar) && state_ == State::kChunkExtName) break;
        if (IsWs(c)) {
          state_ = State::kChunkExtAfterName;
        } else if (c == '=') {
          state_ = State::kChunkExtValueStart;
        } else if (c == ';') {
          state_ = State::kChunkExtNameStart;
        } else if (c == '\r') {
          state_ = State::kChunkSizeLf;
        } else {
          SLUICE_H1_FAIL(kInvalidChunkExtension);
        }
        break;
      case State::kChunkExtValueStart:
        if (IsWs(c)) break;
        if (c == '"') {
          state_ = State::kChunkExtQuoted;
        } else if (Is(c, kTchar)) {
          state_ = State::kChunkExtToken;
        } else {
          SLUICE_H1_FAIL(kInvalidChunkExtension);
        }
        break;
      case State::kChunkExtQuoted:
        if (c == '"') {
          state_ = State::kChunkExtAfterValue;
        } else if (c == '\\') {
          state_ = State::kChunkExtQuotedPair;
        } else if (!Is(c, kQdText)) {
          SLUICE_H1_FAIL(kInvalidChunkExtension);  // CR, LF, NUL inside quotes
        }
        break;
      case State::kChunkExtQuotedPair:
        if (!Is(c, kFieldChar)) SLUICE_H1_FAIL(kInvalidChunkExtension);
        state_ = State::kChunkExtQuoted;
        break;
      case State::kChunkExtToken:
      case State::kChunkExtAfterValue:
        if (Is(c, kTchar) && state_ == State::kChunkExtToken) break;
        if (IsWs(c)) {
          state_ = State::kChunkExtAfterValue;
        } else if (c == ';') {
          state_ = State::kChunkExtNameStart;
        } else if (c == '\r') {
          state_ = State::kChunkSizeLf;
        } else {
          SLUICE_H1_FAIL(kInvalidChunkExtension);
        }
        break;
      case State::kChunkSizeLf:
        if (c != '\n') SLUICE_H1_FAIL(kBareCr);
        chunk_line_bytes_ = 0;
        if (remaining_ == 0) {
          in_trailers_ = true;
          state_ = State::kLineStart;
        } else {
          state_ = State::kChunkData;
        }
        break;
      case State::kChunkData: {
        const uint64_t n = std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p));
        p += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkDataCr;
        continue;
      }
      case State::kChunkDataCr:
        if (c != '\r') SLUICE_H1_FAIL(kMissingCrlfAfterChunkData);
        state_ = State::kChunkDataLf;
        break;
      case State::kChunkDataLf:
        if (c != '\n') SLUICE_H1_FAIL(kMissingCrlfAfterChunkData);
        state_ = State::kChunkSizeStart;
        break;
      case State::kDone:
      case State::kFailed:
        break;
    }
    ++p;
  }
#undef SLUICE_H1_FAIL
  *consumed = static_cast<size_t>(p - reinterpret_cast<const uint8_t*>(data));
  return absl::OkStatus();
}

std::string_view H1RejectReason(const absl::Status& status) {
  std::string_view m(status.message().data(), status.message().size());
  return m.substr(0, m.find(':'));
}

int H1RejectHttpStatus(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnimplemented ? 505 : 400;
}

}  // namespace sluice::http
