#pragma once
// The plan of `sluicectl apply`: given the declarative document and what the control plane holds,
// the writes that make the second match the first, in an order the control plane accepts
// (upstreams and their targets, services, routes, consumers and their credentials, plugins; then,
// with --prune, deletions: plugins, routes, services, targets, upstreams, credentials,
// consumers). Pure: no I/O.
#include <string>
#include <string_view>
#include <vector>

#include "tools/sluicectl/current_state.h"
#include "tools/sluicectl/document.h"

namespace sluice::sluicectl {

enum class ActionType { kCreate, kUpdate, kDelete, kUnchanged };

struct Action {
  ActionType type = ActionType::kUnchanged;
  EntityKind kind = EntityKind::kService;
  // Names the entity for people: "llm", "pool 127.0.0.1:9001", "key-auth (route chat)",
  // "alice key sha256:5189caffd9ba". Never a key.
  std::string label;
  std::string method;  // PUT, POST, PATCH or DELETE; empty when unchanged
  std::string path;    // "/services/llm"
  std::string body;    // JSON; empty for DELETE
  // For updates, one entry per field that differs: "read_timeout: 60000 -> 120000".
  std::vector<std::string> changes;
  int line = 0;  // where the entity is in the file; 0 for deletions
};

struct PlanOptions {
  bool prune = false;  // delete what the file's sections do not list
};

std::vector<Action> ComputePlan(const Document& desired, const CurrentState& current,
                                const PlanOptions& options);

struct PlanCounts {
  int created = 0;
  int updated = 0;
  int deleted = 0;
  int unchanged = 0;
};
PlanCounts Count(const std::vector<Action>& actions);

// "update service llm: read_timeout: 60000 -> 120000"
std::string Describe(const Action& action);
std::string_view Verb(ActionType type);  // "create", "update", "delete", "unchanged"

// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment.
std::string PathSegment(std::string_view s);

}  // namespace sluice::sluicectl
