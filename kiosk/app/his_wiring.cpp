#include "kiosk/app/his_wiring.hpp"

#include "kiosk/app/config.hpp"
#include "kiosk/app/startup_error.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kiosk::app {

std::string read_client_secret(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
        throw StartupError(
            "cannot read the HIS client secret file " + file.string() +
            " ([his] client_secret_file): check that it exists and the kiosk's user can read it");
    std::error_code ec;
    const auto perms = std::filesystem::status(file, ec).permissions();
    if (!ec && (perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) !=
                   std::filesystem::perms::none)
        throw StartupError("the HIS client secret file " + file.string() +
                           " can be read by other users: make it the kiosk user's alone with: chmod 600 " +
                           file.string());
    std::string secret = text.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
        secret.pop_back();
    if (secret.empty()) throw StartupError("the HIS client secret file " + file.string() + " is empty");
    return secret;
}

store::IdentifierSystems identifier_systems(const SiteConfig& config) {
    return store::IdentifierSystems{config.his.cccd_system, config.his.bhyt_system};
}

std::optional<HisWiring> HisWiring::from(const SiteConfig& config, const std::atomic<bool>* stop) {
    if (config.his.base_url.empty()) return std::nullopt;
    HisWiring w;
    w.base_url_ = config.his.base_url;
    w.identifier_base_ = config.his.identifier_base;
    w.user_agent_ = "kiosk/" KIOSK_VERSION " (" + config.identity.kiosk.site_id + "/" +
                    config.identity.kiosk.kiosk_id + ")";
    w.ca_bundle_ = config.his.ca_bundle.string();
    w.stop_ = stop;
    w.lookup_deadline_ = std::chrono::seconds(config.his.lookup_timeout_seconds);
    w.sync_.batch_size = config.sync.batch_size;
    w.sync_.backoff_base = std::chrono::seconds(config.sync.retry_first_seconds);
    w.sync_.backoff_max = std::chrono::seconds(config.sync.retry_max_seconds);
    w.download_every_ = std::chrono::minutes(config.sync.reference_download_minutes);
    w.invoices_ =
        his::InvoiceReading{config.payment.bill_number_system, config.identity.kiosk.utc_offset_minutes};
    if (!config.his.token_url.empty())
        w.oauth2_ = his::OAuth2Settings{config.his.token_url, config.his.client_id,
                                        read_client_secret(config.his.client_secret_file), std::nullopt};
    return w;
}

his::TransportOptions HisWiring::transport(Purpose purpose) const {
    his::TransportOptions t;
    t.user_agent = user_agent_;
    t.ca_bundle = ca_bundle_;
    t.stop = stop_;
    if (purpose == Purpose::Lookup) {
        t.connect_timeout = std::min<std::chrono::milliseconds>(std::chrono::seconds(3), lookup_deadline_);
        t.total_timeout = lookup_deadline_;
    }
    return t;
}

sync::HisConnection HisWiring::sync_connection() const {
    sync::HisConnection his;
    his.base_url = base_url_;
    his.identifier_base = identifier_base_;
    his.transport = transport(Purpose::Sync);
    his.oauth2 = oauth2_;
    his.sync = sync_;
    his.download_every = download_every_;
    return his;
}

std::unique_ptr<LookupHis> HisWiring::make_lookup(store::Database& db, const core::Clock& clock,
                                                  std::function<void(his::Exchange)> observer) const {
    return std::make_unique<LookupHis>(transport(Purpose::Lookup), oauth2_, std::move(observer), base_url_,
                                       db, clock, lookup_deadline_, invoices_);
}

LookupHis::LookupHis(const his::TransportOptions& transport, const std::optional<his::OAuth2Settings>& oauth2,
                     std::function<void(his::Exchange)> observer, const std::string& base_url,
                     store::Database& db, const core::Clock& clock, std::chrono::milliseconds deadline,
                     his::InvoiceReading invoices)
    : channel_(std::make_unique<his::CurlTransport>(transport), std::move(observer), oauth2, clock),
      lookup_(channel_.transport(), base_url, db, clock, deadline),
      invoices_(channel_.transport(), base_url, deadline, std::move(invoices)) {}

} // namespace kiosk::app
