#pragma once
// The last payable bills the HIS listed for each patient (table bill_cache of migration 9). While the HIS
// cannot be asked, the kiosk shows a patient what they owed when it last could, with that time, and takes
// no payment for them (a bill paid at the cashier since would be paid twice). Personal data: forgotten with
// the patient retention. Nothing here logs; writes complete or throw StoreError.
#include "kiosk/core/clock.hpp"
#include "kiosk/core/payment.hpp"
#include "kiosk/store/database.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

struct CachedBills {
    std::vector<core::Bill> bills;
    core::UnixMillis fetched_at = 0;
};

class BillCache {
public:
    explicit BillCache(Database& db); // throws StoreError if the table is missing (not migrated)
    BillCache(const BillCache&) = delete;
    BillCache& operator=(const BillCache&) = delete;
    ~BillCache();

    // The HIS's whole answer for the patient: replaces what was kept (an empty list is kept too: "owes
    // nothing" as of now).
    void put(const std::string& patient_his_id, const std::vector<core::Bill>& bills, core::UnixMillis now);
    [[nodiscard]] std::optional<CachedBills> get(const std::string& patient_his_id) const;
    // Forgets the lists fetched before cutoff; returns how many.
    int forget_older_than(core::UnixMillis cutoff);

private:
    struct Statements;
    Database& db_;
    std::unique_ptr<Statements> st_;
};

} // namespace kiosk::store
