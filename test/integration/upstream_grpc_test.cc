// gRPC through the data plane: a grpc++ client speaks h2c (prior knowledge) to the proxy
// listener, the service ("protocol":"grpc") sends it on over h2c to a grpc++ server; unary and
// server-streaming calls work and an error status (grpc-status/grpc-message trailers) arrives
// intact.
#include <catch2/catch.hpp>
#include <string>

#include "test/integration/harness.h"

namespace sluice::testing {
namespace {

// Runs the echo client against `target` and returns what it printed.
std::string RunClient(const std::string& target, const std::string& call,
                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"client", "--target", target, "--call", call};
  args.insert(args.end(), extra.begin(), extra.end());
  Process client("grpc-client", BinDir() + "/sluice-test-grpc-echo", args);
  REQUIRE(client.started());
  REQUIRE(client.Wait(Millis(10000)));
  return client.ReadLog();
}

TEST_CASE("gRPC: calls through the data plane keep their trailers", "[dp][h2][upstream][grpc]") {
  int port = FreePort();
  Process server("grpc-server", BinDir() + "/sluice-test-grpc-echo",
                 {"server", "--listen", LoopbackAddr(port)});
  REQUIRE(server.started());
  REQUIRE(WaitUntil([&] { return server.ReadLog().find("listening") != std::string::npos; },
                    Millis(5000)));
  // The echo server works when called directly.
  REQUIRE(RunClient(LoopbackAddr(port), "unary").find("unary ok echo hello") != std::string::npos);

  ControlPlane cp = StartControlPlane(NewDir("cp"));
  Admin(cp, "POST", "/services",
        R"({"name":"echo","protocol":"grpc","host":"127.0.0.1","port":)" + std::to_string(port) +
            "}",
        201);
  Admin(cp, "POST", "/routes",
        R"({"name":"grpc","paths":["/sluice.test.echo.Echo/"],"strip_path":false,)"
        R"("service":{"name":"echo"}})",
        201);
  DataPlane dp = StartDataPlane(cp, "dp1", NewDir("dp") + "/cache");
  REQUIRE(WaitForVersion(dp, ControlPlaneVersion(cp)));

  SECTION("unary") {
    std::string out = RunClient(dp.proxy, "unary");
    INFO(out);
    // The server saw the proxy's forwarding headers.
    CHECK(out.find("unary ok echo hello via http") != std::string::npos);
    CHECK(out.find("status code=0 ") != std::string::npos);
  }

  SECTION("server streaming") {
    std::string out = RunClient(dp.proxy, "stream", {"--count", "50"});
    INFO(out);
    CHECK(out.find("stream reply 0 hello") != std::string::npos);
    CHECK(out.find("stream reply 49 hello") != std::string::npos);
    CHECK(out.find("status code=0 ") != std::string::npos);
  }

  SECTION("an error status") {
    std::string out = RunClient(dp.proxy, "error");
    INFO(out);
    // PERMISSION_DENIED is 7; the message crosses in grpc-message.
    CHECK(out.find("status code=7 message=failing as asked: hello") != std::string::npos);
  }
}

}  // namespace
}  // namespace sluice::testing
