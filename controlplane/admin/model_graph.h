#pragma once
// Checks of a Model against the other models, before it is stored: the entries of a split name
// models with a provider of their own (one level of split, so a data plane picks in one step), a
// model that others split to keeps its provider, and fallbacks and splits never form a cycle (a
// data plane following them always ends).
#include "common/config_set.h"
#include "controlplane/admin/field_errors.h"

namespace sluice::controlplane {

// `model` is the version about to be stored (its references resolved to ids that exist in
// `config`); `config` holds every model as it is now, possibly an older version of `model`.
void CheckModelGraph(const config::v1::Model& model, const ConfigSet& config,
                     FieldErrors* errors);

}  // namespace sluice::controlplane
