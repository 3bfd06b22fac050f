#pragma once
// The HIS sync on two threads, each with its own SQLite connection (WAL: neither blocks the other's reads)
// and its own HTTP transport:
//  - the upload thread drains the outbox whenever something is due or kick() says a record was stored,
//    sleeps until the next retry otherwise, and reports the status (for the connectivity indicator);
//  - the download thread fetches reference data (departments, practitioners, slots) every few minutes.
// A reference download of hundreds of pages therefore never delays a new ticket. Neither loop ends on an
// error: a pass that throws (a locked database, a full disk, a mapping bug) is logged, shown in the status,
// and retried with backoff; a database that could not be opened is opened again.
#include "kiosk/his/his_channel.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/his/oauth2.hpp"
#include "kiosk/sync/reference_download.hpp"
#include "kiosk/sync/sync_engine.hpp"

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiosk::sync {

// How to reach the HIS.
struct HisConnection {
    std::string base_url;                      // FHIR R4 base
    std::string identifier_base;               // the hospital's namespace for the kiosk's identifiers
    his::TransportOptions transport;           // timeouts, CA bundle, User-Agent, the stop flag
    std::optional<his::OAuth2Settings> oauth2; // client credentials, when the HIS wants a bearer token
    std::chrono::minutes download_every{5};    // reference data refresh ([sync] reference_download_minutes)
    sync::ReferenceDownloadSettings download;  // what is downloaded, in pages of how many
    SyncSettings sync;                         // batch size and retry backoff ([sync]); stop: transport.stop
    // The HTTP transport of one thread (each thread makes its own: a transport serves one thread at a
    // time). Empty: libcurl with `transport`. Tests put an in-process fake HIS here.
    std::function<std::unique_ptr<his::HttpTransport>()> make_transport = {};
};

class SyncWorker {
public:
    // on_status gets the status and how many kick()s the sync had seen before it was taken, so that a
    // caller can tell a status that already counts its newest record from an older one. Called on the
    // upload thread.
    using StatusCallback = std::function<void(const SyncStatus&, std::uint64_t kicks_seen)>;
    SyncWorker(std::filesystem::path db_file, HisConnection his, StatusCallback on_status);
    SyncWorker(const SyncWorker&) = delete;
    SyncWorker& operator=(const SyncWorker&) = delete;
    // Stops after the requests in flight, if any: set the transport's stop flag first to abort them.
    ~SyncWorker();

    // New records are waiting: the upload thread tries at once, whatever the download thread is doing.
    // Returns how many kicks there were, this one included (a status reporting at least that many counts
    // the new records).
    std::uint64_t kick();
    // An exchange with the HIS made on another thread (a patient lookup, a reference download page): it
    // counts for the status too. Thread-safe; cheap (queued for the upload thread).
    void report(his::Exchange exchange);

private:
    void upload_loop();
    void download_loop();
    [[nodiscard]] bool stopping() const;
    // The thread's channel to the HIS: the given (or curl) transport, observed, with OAuth2 when configured.
    // clock: the thread's own; must outlive the channel.
    [[nodiscard]] std::unique_ptr<his::HisChannel> make_channel(std::function<void(his::Exchange)> observer,
                                                                const core::Clock& clock) const;
    // Waits up to `ms` on `cv` for the destructor or `woken` (called with the mutex held): nullopt when
    // stopping, else whether `woken` ended the wait (false: the time ran out).
    std::optional<bool> wait(std::condition_variable& cv, std::chrono::milliseconds ms,
                             const std::function<bool()>& woken);

    std::filesystem::path db_file_;
    HisConnection his_;
    StatusCallback on_status_;
    mutable std::mutex mutex_;
    std::condition_variable upload_cv_;
    std::condition_variable download_cv_;
    bool stopping_ = false;
    bool kicked_ = false;
    std::uint64_t kicks_ = 0;
    std::vector<his::Exchange> reports_; // from report(), for the upload thread
    std::thread upload_;                 // last: start after the members they use exist
    std::thread download_;
};

} // namespace kiosk::sync
