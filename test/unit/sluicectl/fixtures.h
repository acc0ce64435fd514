#pragma once
// A control plane's GET /config answer, as the admin API writes it, for sluicectl's unit tests:
// service llm (read_timeout 120000) with route chat, service spare (unused by the file below),
// upstream pool with two targets, consumer alice with one key, a global key-auth plugin and one on
// route chat that names alice as anonymous.
#include <string>

#include "common/hash.h"

namespace sluice::sluicectl::testing {

inline const std::string kAliceKey = "alice-secret-key-123456";

inline std::string ConfigJson() {
  return R"({"version":42,
  "services":[
    {"id":"s-llm","name":"llm","protocol":"http","host":"127.0.0.1","port":9001,"path":"","retries":5,
     "connect_timeout":60000,"write_timeout":60000,"read_timeout":120000,"enabled":true,"tags":[],
     "created_at":1,"updated_at":1},
    {"id":"s-spare","name":"spare","protocol":"http","host":"spare.internal","port":80,"path":"","retries":5,
     "connect_timeout":60000,"write_timeout":60000,"read_timeout":60000,"enabled":true,"tags":[],
     "created_at":1,"updated_at":1}],
  "routes":[
    {"id":"r-chat","name":"chat","protocols":[],"methods":[],"hosts":[],"paths":["/v1"],"headers":{},
     "strip_path":false,"preserve_host":false,"regex_priority":0,"service":{"id":"s-llm"},"tags":[],
     "created_at":1,"updated_at":1,"max_request_body_bytes":8388608},
    {"id":"r-old","name":"old","protocols":[],"methods":[],"hosts":[],"paths":["/old"],"headers":{},
     "strip_path":true,"preserve_host":false,"regex_priority":0,"service":{"id":"s-spare"},"tags":[],
     "created_at":1,"updated_at":1,"max_request_body_bytes":8388608}],
  "upstreams":[{"id":"u-pool","name":"pool","algorithm":"round-robin","tags":[],"created_at":1,"updated_at":1}],
  "targets":[
    {"id":"t-1","upstream":{"id":"u-pool"},"target":"127.0.0.1:9001","weight":100,"tags":[],"created_at":1,"updated_at":1},
    {"id":"t-2","upstream":{"id":"u-pool"},"target":"127.0.0.1:9002","weight":100,"tags":[],"created_at":1,"updated_at":1}],
  "consumers":[{"id":"c-alice","username":"alice","custom_id":"","tags":[],"created_at":1,"updated_at":1}],
  "key_auth_credentials":[{"id":"k-1","consumer":{"id":"c-alice"},"key_hash":")" +
         Sha256Hex(kAliceKey) + R"(","key_prefix":"alic","tags":[],"created_at":1}],
  "plugins":[
    {"id":"p-global","name":"key-auth","enabled":true,"service":null,"route":null,"consumer":null,"tags":[],
     "created_at":1,"updated_at":1,"config":{"key_names":["authorization","x-api-key","apikey"],
     "hide_credentials":true,"key_in_header":true,"key_in_query":true,"anonymous":""}},
    {"id":"p-chat","name":"key-auth","enabled":true,"service":null,"route":{"id":"r-chat"},"consumer":null,"tags":[],
     "created_at":1,"updated_at":1,"config":{"key_names":["authorization","x-api-key","apikey"],
     "hide_credentials":true,"key_in_header":true,"key_in_query":true,"anonymous":"c-alice"}}]})";
}

// A file that describes exactly what ConfigJson() holds, except for service spare, route old and
// target 127.0.0.1:9002 (so --prune has something to delete).
inline std::string MatchingFile() {
  return R"(services:
  - name: llm
    url: http://127.0.0.1:9001
    read_timeout: 120000
routes:
  - name: chat
    paths: ["/v1"]
    strip_path: false
    service: {name: llm}
upstreams:
  - name: pool
    targets:
      - target: 127.0.0.1:9001
consumers:
  - username: alice
    keyauth_credentials:
      - key: )" +
         kAliceKey + R"(
plugins:
  - name: key-auth
    config: {}
  - name: key-auth
    route: {name: chat}
    config: {anonymous: alice}
)";
}

}  // namespace sluice::sluicectl::testing
