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
    case EntityKind::kCertificate:
      return "certificate";
    case EntityKind::kCaCertificate:
      return "CA certificate";
    case EntityKind::kProvider:
      return "provider";
    case EntityKind::kModel:
      return "model";
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
    case EntityKind::kCertificate:
      return "certificates";
    case EntityKind::kCaCertificate:
      return "ca_certificates";
    case EntityKind::kProvider:
      return "providers";
    case EntityKind::kModel:
      return "models";
    default:
      return "";
  }
}

std::string_view NameField(EntityKind kind) {
  switch (kind) {
    case EntityKind::kService:
    case EntityKind::kRoute:
    case EntityKind::kUpstream:
    case EntityKind::kCertificate:
    case EntityKind::kCaCertificate:
    case EntityKind::kProvider:
    case EntityKind::kModel:
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
  else if (field == "provider")
    *kind = EntityKind::kProvider;
  else if (field == "client_certificate")
    *kind = EntityKind::kCertificate;
  else
    return false;
  return true;
}

}  // namespace sluice::sluicectl
