#include "tools/sluicectl/tables.h"

#include <catch2/catch.hpp>

#include "tools/sluicectl/admin_client.h"

namespace sluice::sluicectl {
namespace {

TEST_CASE("Tables: columns line up", "[sluicectl]") {
  CHECK(FormatTable({{"NAME", "ID"}, {"a-long-name", "1"}, {"b", "22"}}) ==
        "NAME         ID\n"
        "a-long-name  1\n"
        "b            22\n");
}

TEST_CASE("Tables: routes show their service by name", "[sluicectl]") {
  auto table = FormatResourceTable(
      "routes",
      {R"({"id":"r1","name":"chat","paths":["/v1","/v2"],"hosts":[],"methods":[],"strip_path":false,"service":{"id":"s1"}})"},
      {{"s1", "llm"}}, 0);
  REQUIRE(table.ok());
  CHECK(*table ==
        "NAME  PATHS    HOSTS  METHODS  SERVICE  STRIP_PATH  ID\n"
        "chat  /v1,/v2  -      -        llm      false       r1\n");
  CHECK(*FormatResourceTable("plugins", {}, {}, 0) == "no plugins\n");
  CHECK_FALSE(FormatResourceTable("widgets", {}, {}, 0).ok());
}

TEST_CASE("Tables: status says which data planes are behind", "[sluicectl]") {
  auto text = FormatStatus(
      "http://cp:8001",
      R"({"config_version":42,"store":{"healthy":true,"data_dir":"/d"},"dataplanes":{"connected":1}})",
      R"({"data":[
        {"node_id":"dp-1","address":"10.0.0.1:5","connected":true,"last_seen":1000,"last_acked_version":42,"last_nack":null},
        {"node_id":"dp-2","address":"10.0.0.2:5","connected":true,"last_seen":1000,"last_acked_version":40,
         "last_nack":{"version":41,"message":"bad regex","at":990}},
        {"node_id":"dp-3","address":"10.0.0.3:5","connected":false,"last_seen":700,"last_acked_version":30,"last_nack":null}]})",
      1000);
  REQUIRE(text.ok());
  CHECK(
      *text ==
      "control plane   http://cp:8001\n"
      "config version  42\n"
      "store           healthy (data dir /d)\n"
      "data planes     2 connected, 1 behind\n"
      "\n"
      "NODE_ID  ADDRESS     CONNECTED  ACKED_VERSION  STATE\n"
      "dp-1     10.0.0.1:5  yes        42             up to date\n"
      "dp-2     10.0.0.2:5  yes        40             behind by 2 version(s); rejected version 41: "
      "bad regex\n"
      "dp-3     10.0.0.3:5  no         30             behind by 12 version(s); last seen 5m ago\n");
}

TEST_CASE("Tables: ages", "[sluicectl]") {
  CHECK(Ago(0) == "just now");
  CHECK(Ago(59) == "59s ago");
  CHECK(Ago(300) == "5m ago");
  CHECK(Ago(3 * 3600) == "3h ago");
  CHECK(Ago(3 * 86400) == "3d ago");
}

TEST_CASE("Errors: the admin API's error body, one field per line", "[sluicectl]") {
  CHECK(DescribeError(
            {409, R"({"code":"in_use","message":"service 'a' is used by 1 route(s): r"})"}) ==
        "409 in_use: service 'a' is used by 1 route(s): r");
  CHECK(DescribeError(
            {400,
             R"({"code":"invalid_config","message":"invalid configuration; fix these fields: ...",)"
             R"("fields":{"paths[1]":"must start with /","foo":"unknown field"}})"}) ==
        "400 invalid_config\n    foo: unknown field\n    paths[1]: must start with /");
  CHECK(DescribeError({502, "Bad Gateway"}) == "502 Bad Gateway");
  CHECK(DescribeError({500, ""}) == "500 (empty answer)");
  CHECK(ExitCodeFor(absl::UnavailableError("x")) == 2);
  CHECK(ExitCodeFor(absl::InvalidArgumentError("x")) == 2);
  CHECK(ExitCodeFor(absl::FailedPreconditionError("x")) == 1);
}

TEST_CASE("Admin URL: only http://host[:port][/prefix]", "[sluicectl]") {
  CHECK(AdminClient::Create("http://127.0.0.1:8001", absl::Seconds(1)).ok());
  CHECK(AdminClient::Create("http://cp/admin/", absl::Seconds(1)).ok());
  CHECK_FALSE(AdminClient::Create("https://cp:8001", absl::Seconds(1)).ok());
  CHECK_FALSE(AdminClient::Create("127.0.0.1:8001", absl::Seconds(1)).ok());
  CHECK_FALSE(AdminClient::Create("http://cp:8001?x=1", absl::Seconds(1)).ok());
  CHECK_FALSE(AdminClient::Create("http://cp:8001", absl::ZeroDuration()).ok());
}

}  // namespace
}  // namespace sluice::sluicectl
