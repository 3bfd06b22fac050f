#include "kiosk/core/text.hpp"
#include "kiosk/ui/i18n.hpp"
#include "kiosk/ui/screens.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace kiosk::ui;

namespace {
const std::filesystem::path kSource = KIOSK_SOURCE_DIR;

// The text of every .cpp under kiosk/ui (the journeys' folders included), but the catalog loader's.
std::vector<std::string> ui_sources() {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(kSource / "kiosk" / "ui")) {
        // The catalog loader itself names files, not keys.
        if (entry.path().extension() != ".cpp" || entry.path().filename() == "i18n.cpp") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        out.push_back(text.str());
    }
    return out;
}

// Every string literal in kiosk/ui that looks like a catalog key ("area.name").
std::set<std::string> keys_used_in_ui_code() {
    std::set<std::string> keys;
    const std::regex literal(R"re("([a-z]+\.[a-z_]+)")re");
    for (const std::string& s : ui_sources())
        for (std::sregex_iterator it(s.begin(), s.end(), literal), end; it != end; ++it)
            keys.insert((*it)[1]);
    return keys;
}

// Every template filled in `code`, tr("key", {{"name", value}, ...}), with the names it supplies.
using TemplateCalls = std::vector<std::pair<std::string, std::set<std::string>>>;
void add_template_calls(const std::string& code, TemplateCalls& calls) {
    const std::regex call(R"re(tr\(\s*"([a-z]+\.[a-z_.]+)"\s*,\s*\{((?:[^{}]|\{[^{}]*\})*)\}\s*\))re");
    const std::regex name(R"re(\{\s*"([a-z_]+)"\s*,)re");
    for (std::sregex_iterator it(code.begin(), code.end(), call), end; it != end; ++it) {
        std::set<std::string> names;
        const std::string args = (*it)[2];
        for (std::sregex_iterator n(args.begin(), args.end(), name), e; n != e; ++n)
            names.insert((*n)[1]);
        calls.emplace_back((*it)[1], std::move(names));
    }
}

// ... in every .cpp of kiosk/ui (each call once: a key filled in two places appears twice).
TemplateCalls template_calls_in_ui_code() {
    TemplateCalls calls;
    for (const std::string& s : ui_sources())
        add_template_calls(s, calls);
    return calls;
}

// Keys looked up as plain text in kiosk/ui code: tr("key") with no values.
std::set<std::string> plain_keys_in_ui_code() {
    std::set<std::string> keys;
    const std::regex call(R"re(tr\(\s*"([a-z]+\.[a-z_.]+)"\s*\))re");
    for (const std::string& s : ui_sources())
        for (std::sregex_iterator it(s.begin(), s.end(), call), end; it != end; ++it)
            keys.insert((*it)[1]);
    return keys;
}

std::set<std::string> placeholder_set(std::string_view text) {
    const auto v = placeholders(text);
    return {v.begin(), v.end()};
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

TEST(CatalogTemplates, TrFillsTheCatalogsTemplate) {
    const Catalog c = Catalog::parse("\"ticket.wait\" = \"Mời số {number} đến quầy {counter}\"\n", "test");
    EXPECT_EQ(c.tr("ticket.wait", {{"number", "A-002"}, {"counter", "3"}}), "Mời số A-002 đến quầy 3");
    EXPECT_EQ(c.tr("ticket.wait", {{"counter", "3"}, {"number", "A-002"}}), "Mời số A-002 đến quầy 3");
    EXPECT_EQ(c.tr("ticket.wait", {{"number", "A-002"}}), "Mời số A-002 đến quầy {counter}") << "visible";
    EXPECT_EQ(c.tr("no.such", {{"number", "1"}}), "no.such");
    EXPECT_EQ(placeholders("{time} · {count} / {time}"), (std::vector<std::string>{"time", "count", "time"}));
    EXPECT_TRUE(placeholders("none here").empty());
}

TEST(CatalogTemplates, EveryTemplateHasTheSamePlaceholdersInBothLanguages) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    int templates = 0;
    for (const auto& [key, vi] : c.vi.entries()) {
        const auto en = c.en.entries().find(key);
        if (en == c.en.entries().end()) continue; // BothLanguagesHaveTheSameKeys says so
        EXPECT_EQ(placeholder_set(vi), placeholder_set(en->second)) << key;
        if (!placeholder_set(vi).empty()) ++templates;
    }
    EXPECT_GE(templates, 7); // the HIS indicator's five, the header's clock line, the ticket's time
}

TEST(CatalogTemplates, EveryTemplateCallSuppliesExactlyThePlaceholdersOfItsTemplate) {
    const Catalogs c = Catalogs::load(kSource / "assets");
    const auto calls = template_calls_in_ui_code();
    ASSERT_GE(calls.size(), 7u) << "the code scan found too few calls: is the pattern still right?";
    std::set<std::string> filled;
    for (const auto& [key, supplied] : calls) {
        filled.insert(key);
        for (const Catalog* catalog : {&c.vi, &c.en}) {
            const auto it = catalog->entries().find(key);
            ASSERT_NE(it, catalog->entries().end()) << key << " missing from a catalog";
            EXPECT_EQ(placeholder_set(it->second), supplied) << key << ": \"" << it->second << "\"";
        }
    }
    // The other way round: a template is never shown through plain tr(key), where "{count}" would show.
    for (const auto& key : plain_keys_in_ui_code())
        EXPECT_TRUE(placeholder_set(c.vi.tr(key.c_str())).empty()) << key << " is a template: fill it";
    for (const auto& [key, text] : c.vi.entries())
        if (!placeholder_set(text).empty()) {
            EXPECT_TRUE(filled.count(key)) << key << " is never filled";
        }
}

TEST(CatalogTemplates, TheScanOfTheCodeSeesWhatACallSupplies) {
    // The check above reads the code with a pattern: it must see the names of a call split over lines,
    // with calls inside the values, so that a call supplying the wrong names fails it.
    const std::string code = R"(x = ctx.tr("ticket.issued_at", {{"time", hhmm(t.issued_at, 7)},
                                  {"day", date_text(t.service_day)}});
        y = catalog.tr( "status.sending_count" , {{"count", std::to_string(n)}});)";
    TemplateCalls calls;
    add_template_calls(code, calls);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].first, "ticket.issued_at");
    EXPECT_EQ(calls[0].second, (std::set<std::string>{"time", "day"}));
    EXPECT_EQ(calls[1].first, "status.sending_count");
    EXPECT_EQ(calls[1].second, (std::set<std::string>{"count"}));
    const Catalogs c = Catalogs::load(kSource / "assets");
    EXPECT_NE(placeholder_set(c.vi.tr("ticket.issued_at")), calls[0].second) << "{date}, not {day}";
}

TEST(Catalogs, VietnameseSpeaksToThePatientRespectfully) {
    // "Quý khách" (or "bác"), never the familiar "bạn".
    const Catalogs c = Catalogs::load(kSource / "assets");
    for (const auto& [key, text] : c.vi.entries()) {
        EXPECT_EQ(text.find("bạn"), std::string::npos) << key << ": " << text;
        EXPECT_EQ(text.find("Bạn"), std::string::npos) << key << ": " << text;
    }
}
