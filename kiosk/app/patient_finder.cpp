#include "kiosk/app/patient_finder.hpp"

#include "kiosk/core/identity.hpp"
#include "kiosk/his/fhir_mapping.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kiosk::app {
namespace {

core::LookupOutcome several(bool offline) {
    core::LookupOutcome o;
    o.kind = core::LookupOutcome::Kind::Several;
    o.his_offline = offline;
    return o;
}

core::LookupOutcome found(core::KnownPatient p) {
    core::LookupOutcome o;
    o.kind = core::LookupOutcome::Kind::Found;
    o.patient = std::move(p);
    return o;
}

} // namespace

std::string fhir_patient_name(const std::string& patient_json) {
    const auto j = nlohmann::json::parse(patient_json, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_array()) return "";
    const nlohmann::json* chosen = nullptr;
    for (const auto& n : j["name"])
        if (n.is_object() && (!chosen || his::json_text(n, "use") == "official")) {
            if (chosen && his::json_text(*chosen, "use") == "official") continue;
            chosen = &n;
        }
    if (!chosen) return "";
    if (chosen->contains("text") && (*chosen)["text"].is_string() &&
        !(*chosen)["text"].get<std::string>().empty())
        return (*chosen)["text"].get<std::string>();
    std::string out;
    auto add = [&](const nlohmann::json& v) {
        if (!v.is_string() || v.get<std::string>().empty()) return;
        if (!out.empty()) out += ' ';
        out += v.get<std::string>();
    };
    if (chosen->contains("family")) add((*chosen)["family"]);
    if (chosen->contains("given") && (*chosen)["given"].is_array())
        for (const auto& g : (*chosen)["given"])
            add(g);
    return out;
}

PatientFinder::PatientFinder(store::Database& db, sync::PatientLookup* lookup,
                             store::IdentifierSystems systems, const core::Clock& clock)
    : db_(db), lookup_(lookup), clock_(clock), systems_(std::move(systems)), registry_(db), cache_(db) {}

std::int64_t PatientFinder::forget_older_than(core::UnixMillis cutoff) {
    const std::int64_t before = cache_.count();
    cache_.forget_older_than(cutoff);
    return before - cache_.count() + registry_.forget_older_than(cutoff);
}

core::LookupOutcome PatientFinder::from_registry(core::IdKind kind, const std::string& value, bool offline) {
    const auto registered =
        kind == core::IdKind::Cccd ? registry_.find_by_cccd(value) : registry_.find_by_bhyt(value);
    core::LookupOutcome o;
    o.his_offline = offline;
    if (registered.empty()) return o;
    core::KnownPatient p;
    p.masked_name = core::mask_name(registered.front().details.full_name);
    p.kiosk_patient_id = registered.front().kiosk_patient_id;
    p.from_cache = offline;
    return found(std::move(p));
}

core::LookupOutcome PatientFinder::find(core::IdKind kind, const std::string& value) {
    const std::string& system = kind == core::IdKind::Cccd ? systems_.cccd : systems_.bhyt;
    auto known = [](const store::CachedPatient& c, bool from_cache) {
        core::KnownPatient p;
        p.masked_name = core::mask_name(fhir_patient_name(c.json));
        p.his_id = c.fhir_id;
        p.from_cache = from_cache;
        return found(std::move(p));
    };
    // 1. A recent answer of the HIS: instant.
    const auto cached = cache_.find(system, value);
    const bool fresh = !cached.empty() && std::all_of(cached.begin(), cached.end(), [&](const auto& c) {
        return clock_.now() - c.fetched_at < kFreshFor;
    });
    if (fresh || (!lookup_ && !cached.empty())) {
        if (cached.size() > 1) return several(false);
        return known(cached.front(), false);
    }
    if (!lookup_) return from_registry(kind, value, false);
    // 2. The HIS.
    const sync::LookupResult r = lookup_->find(system, value);
    const bool offline = r.source == sync::Source::Cache;
    if (r.patients.size() > 1) return several(offline);
    if (r.patients.size() == 1)
        return known(store::CachedPatient{r.patients.front().fhir_id, r.patients.front().json,
                                          r.patients.front().fetched_at},
                     offline);
    // 3. Registered here and not yet known to the HIS (or the HIS is away).
    core::LookupOutcome o = from_registry(kind, value, offline);
    // Nobody knows the number, but the HIS was not asked (no answer in time, or it refused the query):
    // that is not "not found", and a registration now could duplicate a patient the HIS knows.
    if (offline && o.kind == core::LookupOutcome::Kind::NotFound)
        o.kind = core::LookupOutcome::Kind::HisUnavailable;
    return o;
}

} // namespace kiosk::app
