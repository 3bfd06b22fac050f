#pragma once
// The DOWNLOAD half of the HIS sync (in sync/: it writes the store; its FHIR searches and paging should
// move back into his/ as a page fetcher, with the cache writing staying here): the reference data the kiosk
// needs while the HIS may be down (Organization, Location, HealthcareService, Practitioner, PractitionerRole,
// Schedule, Slot), fetched with FHIR R4 searches into store::ReferenceCache. The upload half (the outbox) is
// SyncEngine's; this never touches the outbox.
#include "kiosk/core/clock.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/reference_cache.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kiosk::sync {

struct ReferenceDownloadSettings {
    std::vector<std::string> resource_types = {"Organization", "Location",         "HealthcareService",
                                               "Practitioner", "PractitionerRole", "Schedule",
                                               "Slot"};
    int page_size = 200;          // _count of every search, clamped to 1..1000
    int slot_days_ahead = 14;     // Slots are downloaded for [today, today + slot_days_ahead] (a day's margin
                                  // each side, in UTC days, so the window holds whatever the site's offset)
    int max_pages_per_type = 500; // requests per type and run (search pages and id checks); the rest waits
                                  // (a full scan continues from where it stopped)
    // A full scan of each type (upserts + removal of what the server no longer has) at least this often.
    // An unfinished full scan older than this starts over.
    core::UnixMillis reconcile_every_ms = 6LL * 3600 * 1000;
    // After an incremental run, compare the server's count (_summary=count) with the cache's; a difference
    // (a deletion: searches never return deleted resources) starts a full scan, unless the last one is
    // younger than count_check_min_gap_ms (so a count that never agrees cannot make every run a full scan).
    bool count_check = true;
    core::UnixMillis count_check_min_gap_ms = 5LL * 60 * 1000;
};

// What one run did for one resource type.
struct TypeDownload {
    std::string resource_type;
    int fetched = 0;              // new or changed resources stored in the cache
    int unchanged = 0;            // resources received again exactly as cached (not rewritten; each once)
    int removed = 0;              // resources removed from the cache (the server no longer has them)
    int pages = 0;                // search pages received (id checks of a full scan included)
    bool full_scan = false;       // a full scan (reconciliation) ran for this type
    std::string full_scan_reason; // why ("first download", "periodic reconciliation", ...)
    std::string error;            // "" when the type is up to date; otherwise what went wrong

    [[nodiscard]] bool ok() const { return error.empty(); }
};

struct DownloadResult {
    std::vector<TypeDownload> types; // in the order of settings.resource_types

    [[nodiscard]] bool ok() const;
    // The entry of one type; nullptr if the type was not part of the run.
    [[nodiscard]] const TypeDownload* find(const std::string& resource_type) const;
};

// How the download works (see reference_download.cpp for the reasons):
//  - Incremental: GET <base>/<Type>?_count=N&_sort=_lastUpdated&_lastUpdated=ge<cursor>[&Slot window],
//    paged by keyset: the next page is the same query from the newest meta.lastUpdated received so far
//    (the server's clock, never the kiosk's), committed as the cursor with each page in one transaction.
//    ge, not gt, so resources sharing the boundary millisecond are not lost; the ones received again are
//    recognised as unchanged. Bundle link[next] is followed only while a page brings no newer lastUpdated
//    (a run of equal timestamps longer than a page) or when the server does not sort.
//  - Deletions: FHIR searches never return deleted resources, and the test server has no type-level
//    _history (404). So a full scan (every resource of the type, the Slot window applied) reconciles: ids
//    cached but not seen are checked once more with _id=... and removed if the server still lacks them.
//    It runs on the first download, every reconcile_every_ms, when the count check disagrees, and when the
//    server refuses the cursor query (4xx): the cache keeps serving the old rows meanwhile.
//  - A full scan larger than max_pages_per_type continues in the next run: its progress (keyset bound,
//    newest lastUpdated) and a mark on every row it received, changed or not, are stored with each page in
//    one transaction (store::ReferenceScan). While it is unfinished, each run first brings the changes
//    since the cursor, then continues the scan. One older than reconcile_every_ms starts over; reset()
//    drops it.
//  - A page that is not a searchset Bundle, or an entry without a resource, id or meta.lastUpdated: an
//    error for that type, nothing of that page stored; the other types go on. No answer at all (connect,
//    timeout): the remaining types are not attempted in this run.
class ReferenceDownloader {
public:
    // base_url: the FHIR service base, e.g. "https://his.example.vn/fhir/R4".
    ReferenceDownloader(his::HttpTransport& transport, std::string base_url, store::Database& db,
                        ReferenceDownloadSettings settings = {});

    // One pass over every configured type. `now` (the kiosk clock) only places the Slot window and
    // schedules reconciliations; cursors come from the server. Never throws for HIS or database trouble:
    // it is in the result.
    DownloadResult run_once(core::UnixMillis now);

    [[nodiscard]] const ReferenceDownloadSettings& settings() const { return settings_; }

private:
    his::HttpTransport& transport_;
    std::string base_;
    store::ReferenceCache cache_;
    ReferenceDownloadSettings settings_;
};

// Maps one FHIR resource of `resource_type` to its cache row; nullopt (with `why`) when it has no valid
// id or no meta.lastUpdated. References are stored relative ("Schedule/123").
[[nodiscard]] std::optional<store::ReferenceRow>
to_reference_row(const std::string& resource_type, const nlohmann::json& resource, std::string& why);

} // namespace kiosk::sync
