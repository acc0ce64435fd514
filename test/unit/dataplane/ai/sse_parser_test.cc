#include "dataplane/ai/sse_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "test/unit/dataplane/ai/golden.h"

namespace sluice::ai {
namespace {

using namespace std::string_literals;

struct Event {
  std::string type, data, id;
  bool operator==(const Event& o) const { return type == o.type && data == o.data && id == o.id; }
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << "{" << e.type << "|" << e.data << "|" << e.id << "}";
}

std::vector<Event> Parse(const std::vector<std::string_view>& pieces, SseParser* parser = nullptr) {
  SseParser local;
  if (parser == nullptr) parser = &local;
  std::vector<Event> events;
  for (std::string_view piece : pieces) {
    REQUIRE(
        parser
            ->Feed(
                piece,
                [&](const SseEvent& e) {
                  events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
                })
            .ok());
  }
  return events;
}

std::vector<Event> ParseWhole(std::string_view s) { return Parse({s}); }

TEST_CASE("SSE: fields, default type, multi-line data, comments", "[ai][sse]") {
  auto events = ParseWhole(
      ": a comment\n"
      "data: first\n\n"
      "event: update\n"
      "data: line one\n"
      "data: line two\n"
      "id: 7\n\n"
      "data:no space\n"
      "data:  two spaces\n\n");
  REQUIRE(events.size() == 3);
  CHECK(events[0] == Event{"message", "first", ""});
  CHECK(events[1] == Event{"update", "line one\nline two", "7"});
  // One leading space is stripped, not more; the last event ID carries over.
  CHECK(events[2] == Event{"message", "no space\n two spaces", "7"});
}

TEST_CASE("SSE: LF, CRLF and CR line ends, mixed", "[ai][sse]") {
  auto expected = std::vector<Event>{{"message", "a", ""}, {"x", "b", ""}, {"message", "c", ""}};
  CHECK(ParseWhole("data: a\n\nevent: x\ndata: b\n\ndata: c\n\n") == expected);
  CHECK(ParseWhole("data: a\r\n\r\nevent: x\r\ndata: b\r\n\r\ndata: c\r\n\r\n") == expected);
  CHECK(ParseWhole("data: a\r\revent: x\rdata: b\r\rdata: c\r\r") == expected);
  CHECK(ParseWhole("data: a\r\n\nevent: x\rdata: b\n\r\ndata: c\r\r") == expected);
}

TEST_CASE("SSE: a CRLF split between two slices is one line end", "[ai][sse]") {
  auto events = Parse({"data: a\r", "\n", "\r", "\ndata: b\r", "\r"});
  REQUIRE(events.size() == 2);
  CHECK(events[0].data == "a");
  CHECK(events[1].data == "b");
}

TEST_CASE("SSE: one leading BOM is dropped, even split; a second one is data", "[ai][sse]") {
  CHECK(ParseWhole("\xEF\xBB\xBF"
                   "data: x\n\n") == std::vector<Event>{{"message", "x", ""}});
  CHECK(Parse({"\xEF", "\xBB",
               "\xBF"
               "data: x\n\n"}) == std::vector<Event>{{"message", "x", ""}});
  // After the first BOM the field name starts with a BOM: not "data", so ignored.
  CHECK(ParseWhole("\xEF\xBB\xBF\xEF\xBB\xBF"
                   "data: x\n\n")
            .empty());
  // A stream that starts like a BOM but is not one keeps those bytes.
  CHECK(ParseWhole("\xEF"
                   "data: x\n\n")
            .empty());
  CHECK(ParseWhole("\xEF\xBB"
                   "x\ndata: y\n\n") == std::vector<Event>{{"message", "y", ""}});
}

TEST_CASE("SSE: spec corner cases", "[ai][sse]") {
  // No data: nothing is dispatched and the type does not leak into the next event.
  CHECK(ParseWhole("event: lonely\n\ndata: x\n\n") == std::vector<Event>{{"message", "x", ""}});
  // An empty data line makes an event with empty data.
  CHECK(ParseWhole("data\n\n") == std::vector<Event>{{"message", "", ""}});
  CHECK(ParseWhole("data:\n\n") == std::vector<Event>{{"message", "", ""}});
  CHECK(ParseWhole("data:\ndata:\n\n") == std::vector<Event>{{"message", "\n", ""}});
  // Unknown fields and a field with no colon are ignored; "Data" is not "data".
  CHECK(ParseWhole("foo: bar\nData: no\ndata: yes\n\n") ==
        std::vector<Event>{{"message", "yes", ""}});
  // An id with NUL is ignored; an empty id resets it.
  CHECK(ParseWhole("id: 1\ndata: a\n\nid: x\0y\ndata: b\n\nid\ndata: c\n\n"s) ==
        std::vector<Event>{{"message", "a", "1"}, {"message", "b", "1"}, {"message", "c", ""}});
  // An event without its blank line is not dispatched (yet).
  SseParser parser;
  CHECK(Parse({"data: pending\n"}, &parser).empty());
  CHECK(parser.has_partial_event());
  CHECK(Parse({"\n"}, &parser) == std::vector<Event>{{"message", "pending", ""}});
  CHECK_FALSE(parser.has_partial_event());
}

TEST_CASE("SSE: comments are reported when asked for, in stream order", "[ai][sse]") {
  SseParser parser;
  std::vector<std::string> seen;
  auto on_event = [&](const SseEvent& e) { seen.push_back("event " + std::string(e.data)); };
  auto on_comment = [&](std::string_view c) { seen.push_back("comment" + std::string(c)); };
  REQUIRE(parser.Feed(": keep", on_event, on_comment).ok());
  REQUIRE(parser.Feed("-alive\r\ndata: a\n:\n\n", on_event, on_comment).ok());
  CHECK(seen == std::vector<std::string>{"comment keep-alive", "comment", "event a"});
}

TEST_CASE("SSE: retry takes only digits", "[ai][sse]") {
  SseParser parser;
  Parse({"retry: 1500\n\n"}, &parser);
  CHECK(parser.retry_ms() == 1500);
  Parse({"retry: 15s\nretry:\n\n"}, &parser);
  CHECK(parser.retry_ms() == 1500);
}

TEST_CASE("SSE: an oversized event fails the stream", "[ai][sse]") {
  SseParser parser(64);
  auto noop = [](const SseEvent&) {};
  CHECK(parser.Feed("data: short\n\n", noop).ok());
  CHECK_FALSE(parser.Feed("data: " + std::string(100, 'x'), noop).ok());
  CHECK_FALSE(parser.Feed("data: ok\n\n", noop).ok());  // stays failed
  SseParser lines(64);
  CHECK(lines.Feed("data: " + std::string(40, 'x') + "\n", noop).ok());
  CHECK_FALSE(lines.Feed("data: " + std::string(40, 'x') + "\n", noop).ok());
}

TEST_CASE("SSE: every golden stream parses the same split at every byte", "[ai][sse][golden]") {
  size_t streams = 0;
  for (const char* dir : {"openai_to_anthropic", "anthropic_to_openai", "openai_to_openai",
                          "anthropic_to_anthropic"}) {
    std::string path = testing::GoldenPath(absl::StrCat("streams/", dir));
    for (const std::string& name : testing::CaseNames(path, ".in.sse")) {
      ++streams;
      std::string input = testing::ReadFile(absl::StrCat(path, "/", name, ".in.sse"));
      INFO(dir << "/" << name);
      std::vector<Event> whole = ParseWhole(input);
      REQUIRE(!whole.empty());
      std::string_view in = input;
      for (size_t cut = 1; cut < in.size(); ++cut) {
        INFO("split at " << cut);
        REQUIRE(Parse({in.substr(0, cut), in.substr(cut)}) == whole);
      }
      std::vector<std::string_view> bytes;
      for (size_t i = 0; i < in.size(); ++i) bytes.push_back(in.substr(i, 1));
      CHECK(Parse(bytes) == whole);
    }
  }
  CHECK(streams >= 14);
}

}  // namespace
}  // namespace sluice::ai
