// sluice-test-grpc-echo: the gRPC server and client of the integration tests.
//
//   sluice-test-grpc-echo server --listen 127.0.0.1:PORT
//   sluice-test-grpc-echo client --target 127.0.0.1:PORT --call unary|stream|error [--count N]
//
// The client prints one line per outcome ("unary ok ...", "stream reply i ...", "status code=C
// message=M") so that a test can read what arrived; it exits 0 when the call could be made.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "test/grpc_echo/echo.grpc.pb.h"

namespace {

using sluice::test::echo::Echo;
using sluice::test::echo::EchoReply;
using sluice::test::echo::EchoRequest;

class EchoService final : public Echo::Service {
  grpc::Status Unary(grpc::ServerContext* ctx, const EchoRequest* req, EchoReply* reply) override {
    if (req->fail_with() != 0) {
      return grpc::Status(static_cast<grpc::StatusCode>(req->fail_with()),
                          "failing as asked: " + req->message());
    }
    auto it = ctx->client_metadata().find("x-forwarded-proto");
    std::string proto = it == ctx->client_metadata().end()
                            ? "-"
                            : std::string(it->second.data(), it->second.size());
    reply->set_message("echo " + req->message() + " via " + proto);
    return grpc::Status::OK;
  }
  grpc::Status ServerStream(grpc::ServerContext*, const EchoRequest* req,
                            grpc::ServerWriter<EchoReply>* writer) override {
    for (int i = 0; i < req->count(); ++i) {
      EchoReply r;
      r.set_message(req->message());
      r.set_index(i);
      if (!writer->Write(r)) break;
    }
    return grpc::Status::OK;
  }
};

const char* Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

int Server(int argc, char** argv) {
  EchoService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(Arg(argc, argv, "--listen", "127.0.0.1:0"),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    fprintf(stderr, "cannot listen\n");
    return 1;
  }
  printf("grpc echo listening\n");
  fflush(stdout);
  server->Wait();
  return 0;
}

int Client(int argc, char** argv) {
  auto channel = grpc::CreateChannel(Arg(argc, argv, "--target", ""),
                                     grpc::InsecureChannelCredentials());
  auto stub = Echo::NewStub(channel);
  std::string call = Arg(argc, argv, "--call", "unary");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EchoRequest req;
  req.set_message("hello");
  grpc::Status status;
  if (call == "stream") {
    req.set_count(atoi(Arg(argc, argv, "--count", "3")));
    auto reader = stub->ServerStream(&ctx, req);
    EchoReply r;
    while (reader->Read(&r)) printf("stream reply %d %s\n", r.index(), r.message().c_str());
    status = reader->Finish();
  } else {
    if (call == "error") req.set_fail_with(grpc::StatusCode::PERMISSION_DENIED);
    EchoReply r;
    status = stub->Unary(&ctx, req, &r);
    if (status.ok()) printf("unary ok %s\n", r.message().c_str());
  }
  printf("status code=%d message=%s\n", static_cast<int>(status.error_code()),
         status.error_message().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "server") == 0) return Server(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "client") == 0) return Client(argc, argv);
  fprintf(stderr, "usage: %s server|client ...\n", argv[0]);
  return 2;
}
