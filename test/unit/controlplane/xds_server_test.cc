// The xDS server end to end in one process: a real gRPC server on a port the kernel picks and a
// client speaking the data plane's side of the contract.
#include "controlplane/xds/xds_server.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "test/unit/controlplane/test_util.h"

namespace sluice::controlplane {
namespace {

namespace dv = discovery::v1;
using dv::DiscoveryRequest;
using dv::DiscoveryResponse;
using testing::MakeService;

ChangeSet Upsert(Resource r) {
  ChangeSet c;
  c.upserts.push_back(std::move(r));
  return c;
}

// Waits (at most 5 s) until the registry reports `want` as the node's last ACKed version.
bool WaitForAck(NodeRegistry* nodes, const std::string& node, uint64_t want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& d : nodes->List(0))
      if (d.node_id == node && d.last_acked_version == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

DiscoveryRequest Ack(const DiscoveryResponse& r) {
  DiscoveryRequest req;
  req.set_version_info(r.version());
  req.set_response_nonce(r.nonce());
  return req;
}

DiscoveryRequest Nack(const DiscoveryResponse& r, uint64_t held) {
  DiscoveryRequest req;
  req.set_version_info(held);
  req.set_response_nonce(r.nonce());
  req.mutable_error_detail()->set_code(3);
  req.mutable_error_detail()->set_message("rejected on purpose");
  return req;
}

TEST_CASE("XdsServer: snapshot, coalesced delta, NACK resync", "[xds]") {
  ConfigSet initial;
  initial.Put(MakeService("s1", "one"));
  initial.set_version(1);
  NodeRegistry nodes;
  XdsServer xds(initial, &nodes);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&xds);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server != nullptr);
  REQUIRE(port > 0);

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = dv::ConfigDiscovery::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub->Stream(&context);

  DiscoveryRequest hello;
  hello.mutable_node()->set_id("dp-1");
  hello.mutable_node()->set_hostname("test-host");
  REQUIRE(stream->Write(hello));

  ConfigSet held;
  DiscoveryResponse snapshot;
  REQUIRE(stream->Read(&snapshot));
  CHECK(snapshot.kind() == DiscoveryResponse::SNAPSHOT);
  CHECK(snapshot.version() == 1);
  CHECK_FALSE(snapshot.nonce().empty());
  REQUIRE(held.Apply(snapshot).ok());

  // Two commits while the snapshot is unanswered travel as one delta after the ACK.
  xds.OnCommit(2, Upsert(MakeService("s2", "two")));
  xds.OnCommit(3, Upsert(MakeService("s2", "two-b")));
  REQUIRE(stream->Write(Ack(snapshot)));
  CHECK(WaitForAck(&nodes, "dp-1", 1));

  DiscoveryResponse delta;
  REQUIRE(stream->Read(&delta));
  CHECK(delta.kind() == DiscoveryResponse::DELTA);
  CHECK(delta.base_version() == 1);
  CHECK(delta.version() == 3);
  REQUIRE(delta.resources_size() == 1);
  CHECK(delta.resources(0).service().name() == "two-b");
  CHECK(delta.nonce() != snapshot.nonce());
  REQUIRE(held.Apply(delta).ok());
  REQUIRE(stream->Write(Ack(delta)));
  CHECK(WaitForAck(&nodes, "dp-1", 3));

  // A NACKed delta is answered with a snapshot.
  xds.OnCommit(4, Upsert(MakeService("s3", "three")));
  DiscoveryResponse delta4;
  REQUIRE(stream->Read(&delta4));
  CHECK(delta4.kind() == DiscoveryResponse::DELTA);
  // A stale nonce is ignored: it neither counts as an answer nor triggers anything.
  REQUIRE(stream->Write(Nack(delta, 3)));
  REQUIRE(stream->Write(Nack(delta4, 3)));
  DiscoveryResponse resync;
  REQUIRE(stream->Read(&resync));
  CHECK(resync.kind() == DiscoveryResponse::SNAPSHOT);
  CHECK(resync.version() == 4);
  REQUIRE(held.Apply(resync).ok());
  REQUIRE(stream->Write(Ack(resync)));
  CHECK(WaitForAck(&nodes, "dp-1", 4));

  auto listed = nodes.List(0);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].connected);
  CHECK(listed[0].hostname == "test-host");
  REQUIRE(listed[0].last_nack.has_value());
  CHECK(listed[0].last_nack->version == 4);
  CHECK(listed[0].last_nack->message == "rejected on purpose");
  CHECK(nodes.ConnectedCount() == 1);

  // A NACKed snapshot is not resent; the next change comes as a delta on top of it.
  xds.OnCommit(5, Upsert(MakeService("s4", "four")));
  DiscoveryResponse delta5;
  REQUIRE(stream->Read(&delta5));
  REQUIRE(stream->Write(Nack(delta5, 4)));
  DiscoveryResponse snap5;
  REQUIRE(stream->Read(&snap5));
  CHECK(snap5.kind() == DiscoveryResponse::SNAPSHOT);
  REQUIRE(stream->Write(Nack(snap5, 4)));
  xds.OnCommit(6, Upsert(MakeService("s5", "five")));
  DiscoveryResponse delta6;
  REQUIRE(stream->Read(&delta6));
  CHECK(delta6.kind() == DiscoveryResponse::DELTA);
  CHECK(delta6.base_version() == 5);
  CHECK(delta6.version() == 6);

  stream->WritesDone();
  context.TryCancel();
  xds.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  CHECK(nodes.ConnectedCount() == 0);
}

TEST_CASE("XdsServer: a first request without node id is refused", "[xds]") {
  NodeRegistry nodes;
  XdsServer xds(ConfigSet(), &nodes);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&xds);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(port > 0);
  auto stub = dv::ConfigDiscovery::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Stream(&context);
  REQUIRE(stream->Write(DiscoveryRequest()));
  DiscoveryResponse r;
  CHECK_FALSE(stream->Read(&r));
  CHECK(stream->Finish().error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  xds.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace
}  // namespace sluice::controlplane
