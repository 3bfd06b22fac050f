#pragma once
// The HIS sync on its own thread with its own SQLite connection: drains the outbox whenever something is
// due, downloads reference data (departments, practitioners, slots) every few minutes, sleeps until the
// next retry otherwise, and reports its status (for the connectivity indicator).
#include "kiosk/his/http.hpp"
#include "kiosk/his/oauth2.hpp"
#include "kiosk/his/sync_engine.hpp"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiosk::app {

// How to reach the HIS.
struct HisConnection {
    std::string base_url;                      // FHIR R4 base
    std::string identifier_base;               // the hospital's namespace for the kiosk's identifiers
    his::TransportOptions transport;           // timeouts, CA bundle, User-Agent, the stop flag
    std::optional<his::OAuth2Settings> oauth2; // client credentials, when the HIS wants a bearer token
    his::SyncSettings sync;                    // batch size and retry backoff ([sync]); stop is set here
    std::chrono::minutes download_every{5};    // reference data refresh ([sync] reference_download_minutes)
};

class SyncWorker {
public:
    // on_status gets the status and how many kick()s the sync had seen before it was taken, so that a
    // caller can tell a status that already counts its newest record from an older one.
    using StatusCallback = std::function<void(const his::SyncStatus&, std::uint64_t kicks_seen)>;
    SyncWorker(std::filesystem::path db_file, HisConnection his, StatusCallback on_status);
    SyncWorker(const SyncWorker&) = delete;
    SyncWorker& operator=(const SyncWorker&) = delete;
    // Stops after the request in flight, if any: set the transport's stop flag first to abort it.
    ~SyncWorker();

    // New records are waiting: try now rather than at the next timer. Returns how many kicks there were,
    // this one included (a status reporting at least that many counts the new records).
    std::uint64_t kick();
    // An exchange with the HIS made on another thread (a patient lookup): it counts for the status too.
    // Thread-safe; cheap (queued for the sync thread).
    void report(his::Exchange exchange);

private:
    void run();

    std::filesystem::path db_file_;
    HisConnection his_;
    StatusCallback on_status_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool kicked_ = false;
    std::uint64_t kicks_ = 0;
    std::vector<his::Exchange> reports_; // from report(), for the sync thread
    std::thread thread_;                 // last: starts after the members it uses exist
};

} // namespace kiosk::app
