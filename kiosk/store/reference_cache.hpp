#pragma once
#include "kiosk/core/clock.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/sync_state.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

// One downloaded FHIR resource (reference data: Organization, Location, HealthcareService, Practitioner,
// PractitionerRole, Schedule, Slot) with the columns lifted out for queries. Optional columns are "" when
// absent (stored as NULL).
struct ReferenceRow {
    std::string resource_type; // "Slot"
    std::string id;            // the HIS's logical id
    std::string version_id;    // meta.versionId
    std::string last_updated;  // meta.lastUpdated, exactly as the server wrote it
    std::string status;        // Slot.status, Location.status, or "active"/"inactive" from .active
    std::string starts_at;     // Slot.start (ISO 8601 with offset, as the server wrote it)
    std::string ends_at;       // Slot.end
    std::string parent_ref; // "Type/id": Slot.schedule, PractitionerRole.practitioner, Schedule.actor[0], ...
    std::string json;       // the whole resource

    friend bool operator==(const ReferenceRow&, const ReferenceRow&) = default;
};

// The progress of one full scan (reconciliation) of a resource type, kept across runs (table
// reference_scans) so that a scan larger than one run's request limit continues where it stopped.
struct ReferenceScan {
    std::int64_t scan_id = 0; // unique per database, never reused (not after an abandoned scan or a reset)
    std::string resource_type;
    std::string reason;                   // why it started ("first download", "periodic reconciliation", ...)
    core::UnixMillis started_at = 0;      // kiosk clock
    std::optional<std::int64_t> expected; // the server's total on the scan's first page, if it gave one
    std::optional<std::string> bound;     // keyset bound (meta.lastUpdated) the next query starts from
    std::optional<std::string> link;      // link[next] of the last page stored
    bool by_link = false;                 // the next request is `link` rather than the keyset query
    bool follow_links = false;            // the server does not sort or refused keyset queries
    std::optional<std::string> newest;    // the newest meta.lastUpdated received (the cursor at the end)
    bool listed = false;                  // every page has been received: only the id check is left
    std::int64_t pages = 0;               // search pages stored by the scan

    friend bool operator==(const ReferenceScan&, const ReferenceScan&) = default;
};

// The kiosk's copy of the HIS reference data (table reference_resources) and, per resource type, the
// download cursor (sync_state "cursor.<Type>": the server's meta.lastUpdated of the newest resource
// received) and the time of the last complete reconciliation (sync_state "reconciled.<Type>", unix ms of
// the kiosk clock, used only to schedule the next one).
//
// A full scan in progress is kept in reference_scans (one per type, see ReferenceScan); every resource it
// received is marked with its scan_id (column seen_scan), in the same transaction as the page and the
// scan's progress, so a stop or a crash between two runs loses nothing and the scan continues.
//
// Every write is ONE transaction: afterwards either all of it is stored or (StoreError) none of it, so a
// cursor never runs ahead of the rows it stands for. Times in queries (slots(), count_starting()) are
// compared as instants (SQLite's julianday(), which understands "Z" and "+07:00"), not as text.
class ReferenceCache {
public:
    explicit ReferenceCache(Database& db); // throws StoreError if the database is not migrated to 6+
    ReferenceCache(const ReferenceCache&) = delete;
    ReferenceCache& operator=(const ReferenceCache&) = delete;
    ~ReferenceCache();

    // One downloaded page, in one transaction: upserts the rows (each row's resource_type must equal
    // `resource_type`), then deletes `removed_ids` (ids not cached are ignored), then stores `new_cursor`
    // as the type's cursor when it is set (updated_at = now).
    void apply_page(const std::string& resource_type, const std::vector<ReferenceRow>& upserts,
                    const std::vector<std::string>& removed_ids, const std::optional<std::string>& new_cursor,
                    core::UnixMillis now);

    // The end of a complete reconciliation (a full scan of the type): like apply_page, and in the same
    // transaction records `now` as the type's reconciled_at and drops the type's scan in progress.
    void finish_reconciliation(const std::string& resource_type, const std::vector<ReferenceRow>& upserts,
                               const std::vector<std::string>& removed_ids,
                               const std::optional<std::string>& new_cursor, core::UnixMillis now);

    // Starts a full scan of the type (replacing one in progress, whose marks then count for nothing):
    // returns it with its new scan_id, nothing received yet.
    ReferenceScan begin_scan(const std::string& resource_type, const std::string& reason,
                             core::UnixMillis now);
    // The type's full scan in progress, if any.
    [[nodiscard]] std::optional<ReferenceScan> scan(const std::string& resource_type) const;
    // Drops the type's full scan in progress (its marks count for nothing); the rows stay.
    void abandon_scan(const std::string& resource_type);
    // One page (or id check) of a full scan, in one transaction: upserts the rows, marks them and
    // `seen_ids` (ids not cached are ignored) as received by the scan, deletes `removed_ids`, and stores
    // `progress` as the scan's state. Throws StoreError, storing nothing, if progress.scan_id is not the
    // type's scan in progress (it was abandoned, replaced or reset meanwhile).
    void apply_scan_page(const ReferenceScan& progress, const std::vector<ReferenceRow>& upserts,
                         const std::vector<std::string>& seen_ids,
                         const std::vector<std::string>& removed_ids, core::UnixMillis now);
    // The cached ids of the type the scan has not received (sorted), and how many it has.
    [[nodiscard]] std::vector<std::string> unseen_ids(const std::string& resource_type,
                                                      std::int64_t scan_id) const;
    [[nodiscard]] std::int64_t seen_count(const std::string& resource_type, std::int64_t scan_id) const;

    [[nodiscard]] std::optional<std::string> cursor(const std::string& resource_type) const;
    [[nodiscard]] std::optional<core::UnixMillis> reconciled_at(const std::string& resource_type) const;

    // Drops the type's rows, its cursor, its reconciled_at and its scan in progress, in one transaction
    // (for a full re-download).
    void reset(const std::string& resource_type);

    [[nodiscard]] std::int64_t count(const std::string& resource_type) const;
    [[nodiscard]] std::optional<ReferenceRow> find(const std::string& resource_type,
                                                   const std::string& id) const;
    // Every cached id of the type, sorted.
    [[nodiscard]] std::vector<std::string> ids(const std::string& resource_type) const;

    // How many rows of the type have starts_at in [from_iso, to_iso) (ISO 8601 dates or date-times).
    [[nodiscard]] std::int64_t count_starting(const std::string& resource_type, const std::string& from_iso,
                                              const std::string& to_iso) const;

    // Up to `limit` free Slots of one Schedule ("Schedule/<id>") starting in [from_iso, to_iso), earliest
    // first (ties by id). Throws StoreError if from_iso or to_iso is not an ISO 8601 date or date-time.
    [[nodiscard]] std::vector<ReferenceRow> slots(const std::string& schedule_ref,
                                                  const std::string& from_iso, const std::string& to_iso,
                                                  int limit) const;

private:
    void upsert_rows(const std::vector<ReferenceRow>& rows); // inside the caller's transaction
    void apply(const std::string& resource_type, const std::vector<ReferenceRow>& upserts,
               const std::vector<std::string>& removed_ids, const std::optional<std::string>& new_cursor,
               bool reconciled, core::UnixMillis now);
    void check_instants(const std::string& from_iso, const std::string& to_iso) const;

    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
    SyncState state_; // the cursors and reconciliation times, in sync_state with the engine's values
};

} // namespace kiosk::store
