#pragma once
// The one place that turns the site config ([his], [sync]) into the objects that talk to the HIS: transport
// options, OAuth2 client credentials, the identifier systems, the sync's connection and the patient lookup's
// chain (curl -> observed -> OAuth2 -> PatientLookup). Both the sync and the lookup get theirs here, so
// a new HIS setting is read in one place.
#include "kiosk/core/clock.hpp"
#include "kiosk/his/curl_transport.hpp"
#include "kiosk/his/his_channel.hpp"
#include "kiosk/his/http.hpp"
#include "kiosk/his/invoice_search.hpp"
#include "kiosk/his/oauth2.hpp"
#include "kiosk/store/database.hpp"
#include "kiosk/store/patient_registry.hpp"
#include "kiosk/sync/patient_lookup.hpp"
#include "kiosk/sync/sync_worker.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kiosk::app {

struct SiteConfig;

// The OAuth2 client secret: the whole file, without a trailing newline. Never logged.
// Throws StartupError when it cannot be read, is empty, or other users can read it.
[[nodiscard]] std::string read_client_secret(const std::filesystem::path& file);

// The identifier systems (CCCD, BHYT) the kiosk's records use; with or without a HIS.
[[nodiscard]] store::IdentifierSystems identifier_systems(const SiteConfig& config);

// The patient lookup's way to the HIS: its own HTTP connection with short timeouts (a patient waits at
// the screen), observed for the connectivity indicator, with a bearer token when the HIS wants one.
class LookupHis {
public:
    LookupHis(const his::TransportOptions& transport, const std::optional<his::OAuth2Settings>& oauth2,
              std::function<void(his::Exchange)> observer, const std::string& base_url, store::Database& db,
              const core::Clock& clock, std::chrono::milliseconds deadline, his::InvoiceReading invoices);
    LookupHis(const LookupHis&) = delete;
    LookupHis& operator=(const LookupHis&) = delete;
    [[nodiscard]] sync::PatientLookup& lookup() { return lookup_; }
    // The patient's bills, on the same connection (the lookup thread asks one thing at a time).
    [[nodiscard]] his::InvoiceSearch& invoices() { return invoices_; }

private:
    his::HisChannel channel_; // curl, observed for the sync status, with a token when the HIS wants one
    sync::PatientLookup lookup_;
    his::InvoiceSearch invoices_;
};

class HisWiring {
public:
    enum class Purpose { Sync, Lookup };

    // Null when the site has no HIS ([his] base_url empty). Reads the client secret once (StartupError).
    // stop: aborts every transfer in flight once true; must outlive every object made here.
    [[nodiscard]] static std::optional<HisWiring> from(const SiteConfig& config,
                                                       const std::atomic<bool>* stop);

    // The timeouts of each purpose: the sync waits as long as a request needs; the lookup owns its total
    // wait (PatientLookup's deadline) and its transport's timeouts only bound it.
    [[nodiscard]] his::TransportOptions transport(Purpose purpose) const;
    [[nodiscard]] const std::optional<his::OAuth2Settings>& oauth2() const { return oauth2_; }
    [[nodiscard]] std::chrono::milliseconds lookup_deadline() const { return lookup_deadline_; }
    [[nodiscard]] const std::string& base_url() const { return base_url_; }

    [[nodiscard]] sync::HisConnection sync_connection() const;
    // observer: gets every exchange of the lookup (for the sync's status). Call on the lookup thread.
    [[nodiscard]] std::unique_ptr<LookupHis> make_lookup(store::Database& db, const core::Clock& clock,
                                                         std::function<void(his::Exchange)> observer) const;

private:
    HisWiring() = default;

    std::string base_url_;
    std::string identifier_base_;
    std::string user_agent_;
    std::string ca_bundle_;
    const std::atomic<bool>* stop_ = nullptr;
    std::optional<his::OAuth2Settings> oauth2_;
    std::chrono::milliseconds lookup_deadline_{3000};
    sync::SyncSettings sync_;                // [sync]: batch size, retry backoff
    std::chrono::minutes download_every_{5}; // [sync] reference_download_minutes
    his::InvoiceReading invoices_;           // [payment] bill_number_system, [identity] utc_offset
};

} // namespace kiosk::app
