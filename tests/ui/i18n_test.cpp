#include "kiosk/core/text.hpp"
#include "kiosk/ui/i18n.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace kiosk::ui;

namespace {
const std::filesystem::path kSource = KIOSK_SOURCE_DIR;

// Every string literal in kiosk/ui that looks like a catalog key ("area.name").
std::set<std::string> keys_used_in_ui_code() {
    std::set<std::string> keys;
    const std::regex literal(R"re("([a-z]+\.[a-z_]+)")re");
    for (const auto& entry : std::filesystem::directory_iterator(kSource / "kiosk" / "ui")) {
        // The catalog loader itself names files, not keys.
        if (entry.path().extension() != ".cpp" || entry.path().filename() == "i18n.cpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const std::string s = text.str();
        for (std::sregex_iterator it(s.begin(), s.end(), literal), end; it != end; ++it)
            keys.insert((*it)[1]);
    }
    return keys;
}
} // namespace

TEST(Catalogs, EveryKeyUsedInTheUiIsInBothCatalogs) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    const auto used = keys_used_in_ui_code();
    ASSERT_GT(used.size(), 10u);
    for (const auto& key : used) {
        EXPECT_TRUE(c.vi.entries().count(key)) << key << " missing from vi.toml";
        EXPECT_TRUE(c.en.entries().count(key)) << key << " missing from en.toml";
    }
}

TEST(Catalogs, BothLanguagesHaveTheSameKeysAndNfcText) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    std::set<std::string> vi, en;
    for (const auto& [k, v] : c.vi.entries()) {
        vi.insert(k);
        EXPECT_EQ(kiosk::core::to_nfc(v), std::optional<std::string>(v)) << k;
    }
    for (const auto& [k, v] : c.en.entries())
        en.insert(k);
    EXPECT_EQ(vi, en);
    EXPECT_STRNE(c.vi.tr("feature.queue"), c.en.tr("feature.queue"));
}

TEST(Catalogs, MissingKeyFallsBackToTheKey) {
    const Catalog c = Catalog::parse("\"a.b\" = \"x\"\n", "test");
    EXPECT_STREQ(c.tr("a.b"), "x");
    EXPECT_STREQ(c.tr("no.such"), "no.such");
}

TEST(Catalogs, BadFilesAreReportedWithSourceAndLine) {
    try {
        Catalog::parse("\"a.b\" = \"x\"\n\"c.d\" = 3\n", "vi.toml");
        FAIL() << "expected CatalogError";
    } catch (const CatalogError& e) {
        EXPECT_NE(std::string(e.what()).find("vi.toml:2"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Catalog::parse("\"a.b\" = \"unterminated\n", "en.toml"), CatalogError);
    EXPECT_THROW(Catalog::load("/nonexistent/vi.toml"), CatalogError);
}

TEST(Catalogs, EveryIdentityProblemAndFormFieldHasItsTexts) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    std::vector<std::string> keys;
    for (int p = 0; p <= static_cast<int>(kiosk::core::kLastIdProblem); ++p)
        keys.emplace_back(kiosk::core::problem_key(static_cast<kiosk::core::IdProblem>(p)));
    for (Field f :
         {Field::FullName, Field::BirthDate, Field::Address, Field::Phone, Field::Cccd, Field::Bhyt})
        for (const char* prefix : {"field.", "edit.hint.", "register.problem."})
            keys.push_back(prefix + std::string(field_name(f)));
    for (const auto& key : keys) {
        EXPECT_TRUE(c.vi.entries().count(key)) << key << " missing from vi.toml";
        EXPECT_TRUE(c.en.entries().count(key)) << key << " missing from en.toml";
    }
}
