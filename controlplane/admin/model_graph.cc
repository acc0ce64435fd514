#include "controlplane/admin/model_graph.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace sluice::controlplane {

namespace {

namespace dv = discovery::v1;
using config::v1::Model;

class ModelGraph {
 public:
  ModelGraph(const Model& written, const ConfigSet& config) : written_(written), config_(config) {}

  // Models `id` leads to: its fallbacks, then its split entries.
  std::vector<std::string> Next(const std::string& id) const {
    std::vector<std::string> out;
    const Model* m = Find(id);
    if (m == nullptr) return out;
    for (const auto& f : m->fallbacks()) out.push_back(f.id());
    for (const auto& e : m->split()) out.push_back(e.model().id());
    return out;
  }

  // A path from `from` back to the written model, as names, or empty when there is none. The
  // stored graph has no cycle, so any cycle passes through the written model.
  std::vector<std::string> PathBack(const std::string& from) const {
    std::vector<std::string> path;
    std::set<std::string> visited;
    return Search(from, &visited, &path) ? path : std::vector<std::string>();
  }

  std::string Name(const std::string& id) const {
    const Model* m = Find(id);
    return m == nullptr || m->name().empty() ? id : m->name();
  }

  const Model* Find(const std::string& id) const {
    if (id == written_.id()) return &written_;
    const Resource* r = config_.Find(dv::MODEL, id);
    return r == nullptr ? nullptr : &r->model();
  }

 private:
  bool Search(const std::string& id, std::set<std::string>* visited,
              std::vector<std::string>* path) const {
    path->push_back(Name(id));
    if (id == written_.id()) return true;
    if (visited->insert(id).second) {
      for (const std::string& next : Next(id))
        if (Search(next, visited, path)) return true;
    }
    path->pop_back();
    return false;
  }

  const Model& written_;
  const ConfigSet& config_;
};

}  // namespace

void CheckModelGraph(const Model& model, const ConfigSet& config, FieldErrors* errors) {
  const ModelGraph graph(model, config);
  for (int i = 0; i < model.split_size(); ++i) {
    const std::string& id = model.split(i).model().id();
    const Model* target = id == model.id() ? nullptr : graph.Find(id);
    if (target != nullptr && target->split_size() > 0) {
      errors->emplace(absl::StrCat("split[", i, "].model"),
                      absl::StrCat("model '", graph.Name(id),
                                   "' is itself a split; list the models it splits to instead"));
    }
  }
  if (model.split_size() > 0) {
    for (const auto& [other_id, r] : config.Of(dv::MODEL)) {
      if (other_id == model.id()) continue;
      for (const auto& e : r.model().split()) {
        if (e.model().id() != model.id()) continue;
        errors->emplace("split", absl::StrCat("model '", graph.Name(other_id),
                                              "' splits to this model, so it must keep a "
                                              "provider and model of its own"));
        break;
      }
    }
  }
  auto check_cycle = [&](const std::string& next, const std::string& field) {
    if (next.empty() || next == model.id()) return;  // validation reports these
    std::vector<std::string> path = graph.PathBack(next);
    if (path.empty()) return;
    path.insert(path.begin(), graph.Name(model.id()));
    errors->emplace(field, absl::StrCat("makes a cycle: ", absl::StrJoin(path, " -> ")));
  };
  for (int i = 0; i < model.fallbacks_size(); ++i)
    check_cycle(model.fallbacks(i).id(), absl::StrCat("fallbacks[", i, "]"));
  for (int i = 0; i < model.split_size(); ++i)
    check_cycle(model.split(i).model().id(), absl::StrCat("split[", i, "].model"));
}

}  // namespace sluice::controlplane
