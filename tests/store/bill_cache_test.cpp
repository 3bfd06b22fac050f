#include "kiosk/store/bill_cache.hpp"

#include "kiosk/store/statement.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kiosk::store {
namespace {

using test::TempDir;

constexpr core::UnixMillis kT0 = 1796353200000;

core::Bill bill(std::string id, std::int64_t amount) {
    core::Bill b;
    b.his_id = id;
    b.number = "HD-" + id;
    b.description = "Xét nghiệm máu";
    b.amount_vnd = amount;
    b.issued_at = kT0 - 3600000;
    return b;
}

TEST(BillCache, ThePatientsLastListIsReadBackWithItsTime) {
    TempDir dir;
    Database db = Database::open(dir / "kiosk.db");
    BillCache cache(db);
    EXPECT_FALSE(cache.get("p1"));
    cache.put("p1", {bill("1", 150000), bill("2", 85000)}, kT0);
    cache.put("p2", {bill("3", 1000)}, kT0);
    auto got = cache.get("p1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->fetched_at, kT0);
    EXPECT_EQ(got->bills, (std::vector<core::Bill>{bill("1", 150000), bill("2", 85000)}));
    // The next answer replaces it whole, an empty one too.
    cache.put("p1", {}, kT0 + 1000);
    got = cache.get("p1");
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->bills.empty());
    EXPECT_EQ(got->fetched_at, kT0 + 1000);
    EXPECT_EQ(cache.get("p2")->bills.size(), 1u);
}

TEST(BillCache, RetentionForgetsOldListsAndADamagedRowGivesNoBills) {
    TempDir dir;
    Database db = Database::open(dir / "kiosk.db");
    BillCache cache(db);
    cache.put("old", {bill("1", 1000)}, kT0);
    cache.put("new", {bill("2", 1000)}, kT0 + 10);
    EXPECT_EQ(cache.forget_older_than(kT0 + 1), 1);
    EXPECT_FALSE(cache.get("old"));
    db.exec("UPDATE bill_cache SET bills = '[{\"id\":\"2\",\"status\":\"owed\",\"amount_vnd\":1}]'");
    ASSERT_TRUE(cache.get("new"));
    EXPECT_TRUE(cache.get("new")->bills.empty()) << "never a bill it cannot read back exactly";
}

} // namespace
} // namespace kiosk::store
