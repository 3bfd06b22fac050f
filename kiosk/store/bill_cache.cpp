#include "kiosk/store/bill_cache.hpp"

#include "kiosk/store/statement.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace kiosk::store {
namespace {

nlohmann::json to_json(const std::vector<core::Bill>& bills) {
    nlohmann::json a = nlohmann::json::array();
    for (const core::Bill& b : bills)
        a.push_back({{"id", b.his_id},
                     {"number", b.number},
                     {"description", b.description},
                     {"amount_vnd", b.amount_vnd},
                     {"status", std::string(core::bill_status_name(b.status))},
                     {"issued_at", b.issued_at}});
    return a;
}

std::optional<core::Bill::Status> status_of(const std::string& name) {
    for (const auto s : {core::Bill::Status::Payable, core::Bill::Status::Paid, core::Bill::Status::Cancelled,
                         core::Bill::Status::Draft})
        if (core::bill_status_name(s) == name) return s;
    return std::nullopt;
}

// What was written by to_json; a row that does not read back (written by a newer kiosk, damaged) gives
// no bills rather than wrong ones.
std::vector<core::Bill> from_json(const std::string& text) {
    std::vector<core::Bill> out;
    const auto a = nlohmann::json::parse(text, nullptr, false);
    if (!a.is_array()) return out;
    for (const auto& j : a) {
        if (!j.is_object()) return {};
        core::Bill b;
        const auto status = status_of(j.value("status", std::string()));
        if (!status || !j.contains("amount_vnd") || !j["amount_vnd"].is_number_integer()) return {};
        b.his_id = j.value("id", std::string());
        b.number = j.value("number", std::string());
        b.description = j.value("description", std::string());
        b.amount_vnd = j["amount_vnd"].get<std::int64_t>();
        b.status = *status;
        b.issued_at = j.value("issued_at", core::UnixMillis{0});
        out.push_back(std::move(b));
    }
    return out;
}

} // namespace

struct BillCache::Statements {
    explicit Statements(const Database& db)
        : put(db, "INSERT INTO bill_cache (patient_his_id, bills, fetched_at) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (patient_his_id) DO UPDATE SET bills = excluded.bills, fetched_at = "
                  "excluded.fetched_at"),
          get(db, "SELECT bills, fetched_at FROM bill_cache WHERE patient_his_id = ?1"),
          forget(db, "DELETE FROM bill_cache WHERE fetched_at < ?1") {}
    detail::Statement put;
    detail::Statement get;
    detail::Statement forget;
};

BillCache::BillCache(Database& db) : db_(db), st_(std::make_unique<Statements>(db)) {}

BillCache::~BillCache() = default;

void BillCache::put(const std::string& patient_his_id, const std::vector<core::Bill>& bills,
                    core::UnixMillis now) {
    auto& s = st_->put;
    const auto reset = s.scoped();
    s.bind_text(1, patient_his_id).bind_text(2, to_json(bills).dump()).bind_int64(3, now);
    s.run();
}

std::optional<CachedBills> BillCache::get(const std::string& patient_his_id) const {
    auto& s = st_->get;
    const auto reset = s.scoped();
    s.bind_text(1, patient_his_id);
    if (!s.step()) return std::nullopt;
    return CachedBills{from_json(s.column_text(0)), s.column_int64(1)};
}

int BillCache::forget_older_than(core::UnixMillis cutoff) {
    auto& s = st_->forget;
    const auto reset = s.scoped();
    s.bind_int64(1, cutoff);
    s.run();
    return static_cast<int>(sqlite3_changes64(db_.handle()));
}

} // namespace kiosk::store
