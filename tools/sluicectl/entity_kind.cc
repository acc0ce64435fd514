#include "tools/sluicectl/entity_kind.h"

namespace sluice::sluicectl {

std::string_view Singular(EntityKind kind) {
  switch (kind) {
    case EntityKind::kService:
      return "service";
    case EntityKind::kRoute:
      return "route";
    case EntityKind::kUpstream:
      return "upstream";
    case EntityKind::kTarget:
      return "target";
    case EntityKind::kConsumer:
      return "consumer";
    case EntityKind::kCredential:
      return "key-auth credential";
    case EntityKind::kPlugin:
      return "plugin";
  }
  return "entity";
}

std::string_view Collection(EntityKind kind) {
  switch (kind) {
    case EntityKind::kService:
      return "services";
    case EntityKind::kRoute:
      return "routes";
    case EntityKind::kUpstream:
      return "upstreams";
    case EntityKind::kConsumer:
      return "consumers";
    case EntityKind::kPlugin:
      return "plugins";
    default:
      return "";
  }
}

std::string_view NameField(EntityKind kind) {
  switch (kind) {
    case EntityKind::kService:
    case EntityKind::kRoute:
    case EntityKind::kUpstream:
      return "name";
    case EntityKind::kConsumer:
      return "username";
    default:
      return "";
  }
}

bool RefKind(std::string_view field, EntityKind* kind) {
  if (field == "service")
    *kind = EntityKind::kService;
  else if (field == "route")
    *kind = EntityKind::kRoute;
  else if (field == "consumer")
    *kind = EntityKind::kConsumer;
  else if (field == "upstream")
    *kind = EntityKind::kUpstream;
  else
    return false;
  return true;
}

}  // namespace sluice::sluicectl
