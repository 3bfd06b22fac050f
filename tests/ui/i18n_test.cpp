#include "kiosk/core/text.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/screens.hpp"

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

// --- the HIS indicator's texts ----------------------------------------------------------------------------

TEST(ConnectivityText, EveryLinkStateSaysWhichItIsInBothLanguages) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    using Link = Connectivity::Link;
    constexpr kiosk::core::UnixMillis k0742 = 1795480200000 + 12 * 60 * 1000; // 07:42 at +07:00
    for (const Catalog* catalog : {&c.vi, &c.en}) {
        std::set<std::string> texts;
        for (const Link link :
             {Link::Connected, Link::Sending, Link::Offline, Link::CredentialsRefused, Link::ServerError}) {
            Connectivity k;
            k.configured = k.known = true;
            k.link = link;
            k.waiting = 7;
            if (link == Link::Offline) k.offline_since = k0742;
            const ConnectivityText t = connectivity_text(k, *catalog, 420);
            SCOPED_TRACE(t.text);
            EXPECT_FALSE(t.text.empty());
            EXPECT_EQ(t.text.find('{'), std::string::npos) << "a placeholder left unfilled";
            if (link != Link::Connected) {
                EXPECT_NE(t.text.find('7'), std::string::npos);
            }
            if (link == Link::Offline) {
                EXPECT_NE(t.text.find("07:42"), std::string::npos);
            }
            // Only a working link is green; broken credentials stand out most.
            EXPECT_EQ(t.severity == ConnectivityText::Severity::Good,
                      link == Link::Connected || link == Link::Sending);
            EXPECT_EQ(t.severity == ConnectivityText::Severity::Fault, link == Link::CredentialsRefused);
            texts.insert(t.text);
        }
        EXPECT_EQ(texts.size(), 5u) << "two states read alike";
    }
}

TEST(ConnectivityText, NeverOfflineSinceWithoutATimeAndNothingBeforeTheFirstReport) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    Connectivity k;
    k.configured = true;
    k.link = Connectivity::Link::Offline;
    EXPECT_TRUE(connectivity_text(k, c.vi, 420).text.empty()) << "not known yet";
    k.known = true;
    const std::string vi = connectivity_text(k, c.vi, 420).text;
    const std::string en = connectivity_text(k, c.en, 420).text;
    EXPECT_EQ(vi.find("từ"), std::string::npos) << vi;
    EXPECT_EQ(en.find("since"), std::string::npos) << en;
    EXPECT_FALSE(vi.empty());
    k.link = Connectivity::Link::Unknown;
    EXPECT_TRUE(connectivity_text(k, c.vi, 420).text.empty());
    k.configured = false;
    k.link = Connectivity::Link::Connected;
    EXPECT_TRUE(connectivity_text(k, c.en, 420).text.empty()) << "no HIS configured";
}

TEST(CatalogTemplates, NamedPlaceholdersAreFilledInAnyOrder) {
    EXPECT_EQ(fill("{b} then {a}", {{"a", "1"}, {"b", "2"}}), "2 then 1");
    EXPECT_EQ(fill("no placeholder", {{"a", "1"}}), "no placeholder");
    EXPECT_EQ(fill("{unknown} stays", {{"a", "1"}}), "{unknown} stays");
    EXPECT_EQ(fill("open { only", {}), "open { only");
}
