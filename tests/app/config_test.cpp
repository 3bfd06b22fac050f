#include "kiosk/app/config.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using kiosk::app::ConfigProblem;
using kiosk::app::ConfigResult;
using kiosk::app::default_data_dir;
using kiosk::app::default_data_dir_for;
using kiosk::app::embedded_demo_config;
using kiosk::app::load_config_file;
using kiosk::app::parse_config;
namespace fs = std::filesystem;

const fs::path kExampleFile = fs::path(KIOSK_SOURCE_DIR) / "config" / "site.example.toml";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << p;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    ASSERT_TRUE(out) << "cannot write " << p;
}

std::string all_problems(const ConfigResult& r) {
    std::string out;
    for (const auto& p : r.problems)
        out += "\n  " + p.to_string();
    return out;
}

// A valid config with known line numbers. Line 1 is a spare comment at the top level, before any table,
// that cases replace with dotted keys of the other tables ("display.ui_scale = 9"); keys of [identity]
// go after line 6 (kHospitalLine). Tables appended to kBase start on line 17.
const std::string kHospitalLine = "hospital_name = \"Bệnh viện Test\"";
const std::string kBase = "# spare line\n"                       // 1
                          "[identity]\n"                         // 2
                          "site_id = \"BVDK-TEST\"\n"            // 3
                          "kiosk_id = \"SANH-A-01\"\n"           // 4
                          "kiosk_letter = \"A\"\n"               // 5
                          "hospital_name = \"Bệnh viện Test\"\n" // 6
                          "[[services]]\n"                       // 7
                          "code = \"KBH\"\n"                     // 8
                          "prefix = \"A\"\n"                     // 9
                          "name_vi = \"Khám BHYT\"\n"            // 10
                          "name_en = \"Insured examination\"\n"  // 11
                          "[[services]]\n"                       // 12
                          "code = \"XN\"\n"                      // 13
                          "prefix = \"C\"\n"                     // 14
                          "name_vi = \"Xét nghiệm\"\n"           // 15
                          "name_en = \"Laboratory tests\"\n";    // 16

// base with its 1-based line `line` replaced by `text`.
std::string replace_line(const std::string& base, int line, const std::string& text) {
    std::istringstream in(base);
    std::string out;
    std::string l;
    for (int n = 1; std::getline(in, l); ++n)
        out += (n == line ? text : l) + "\n";
    return out;
}

// kBase with `lines` added to [identity], from line 7 on.
std::string with_identity(const std::string& lines) {
    return replace_line(kBase, 6, kHospitalLine + "\n" + lines);
}

// base with its lines from..to (1-based, inclusive) commented out.
std::string without_lines(std::string base, int from, int to) {
    for (int line = from; line <= to; ++line)
        base = replace_line(base, line, "# (removed)");
    return base;
}

// The first `lines` lines of base.
std::string head(const std::string& base, int lines) {
    std::istringstream in(base);
    std::string out;
    std::string l;
    for (int n = 1; n <= lines && std::getline(in, l); ++n)
        out += l + "\n";
    return out;
}

// ---- the example file and the embedded copy -----------------------------------------------------------

TEST(ConfigExample, ParsesWithoutProblemsAndYieldsTheDemoSite) {
    const ConfigResult r = load_config_file(kExampleFile);
    ASSERT_TRUE(r.ok()) << all_problems(r);
    ASSERT_TRUE(r.problems.empty());
    const auto& c = *r.config;
    EXPECT_EQ(c.identity.kiosk.site_id, "BVDK-DEMO");
    EXPECT_EQ(c.identity.kiosk.kiosk_id, "SANH-A-01");
    EXPECT_EQ(c.identity.kiosk.kiosk_letter, 'A');
    EXPECT_EQ(c.identity.kiosk.utc_offset_minutes, 7 * 60);
    EXPECT_EQ(c.identity.hospital_name, "Bệnh viện Đa khoa Tỉnh (Demo)");
    EXPECT_EQ(c.identity.hospital_name_en, "Provincial General Hospital (Demo)");
    EXPECT_EQ(c.display.languages, (std::vector<std::string>{"vi", "en"}));
    EXPECT_EQ(c.display.idle_timeout_seconds, 60);
    EXPECT_FLOAT_EQ(c.display.ui_scale, 1.0f);
    EXPECT_EQ(c.his.base_url, "");
    EXPECT_EQ(c.storage.data_dir, default_data_dir()); // data_dir is commented out
    EXPECT_EQ(c.storage.patient_cache_days, 30);
    EXPECT_EQ(c.display.font_regular, fs::path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"));
    EXPECT_EQ(c.display.font_bold, fs::path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"));
    EXPECT_EQ(c.sync.batch_size, 50);
    EXPECT_EQ(c.sync.retry_first_seconds, 2);
    EXPECT_EQ(c.sync.retry_max_seconds, 300);
    EXPECT_EQ(c.sync.reference_download_minutes, 5);

    ASSERT_EQ(c.services.size(), 8u);
    const std::vector<std::vector<std::string>> expected{
        {"KBH", "A", "Khám BHYT", "Insured examination"},
        {"KDV", "B", "Khám dịch vụ", "Paid examination"},
        {"XN", "C", "Xét nghiệm", "Laboratory tests"},
        {"TN", "D", "Thu ngân", "Cashier"},
        {"CDHA", "E", "Chẩn đoán hình ảnh", "Imaging (X-ray, ultrasound, CT)"},
        {"NHI", "F", "Khám Nhi", "Paediatrics"},
        {"TC", "G", "Tiêm chủng", "Vaccination"},
        {"NT", "H", "Nhà thuốc", "Pharmacy"},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE("service " + std::to_string(i + 1));
        EXPECT_EQ(c.services[i].code, expected[i][0]);
        EXPECT_EQ(c.services[i].prefix, expected[i][1]);
        EXPECT_EQ(c.services[i].name_vi, expected[i][2]);
        EXPECT_EQ(c.services[i].name_en, expected[i][3]);
    }
}

TEST(ConfigExample, IsAlreadyNfc) {
    // The parser normalises to NFC; the file itself must already be NFC, i.e. byte-identical names.
    const std::string text = read_file(kExampleFile);
    EXPECT_NE(text.find("hospital_name = \"Bệnh viện Đa khoa Tỉnh (Demo)\""), std::string::npos);
    EXPECT_NE(text.find("name_vi = \"Chẩn đoán hình ảnh\""), std::string::npos);
}

TEST(ConfigEmbedded, EqualsTheExampleFile) {
    EXPECT_EQ(embedded_demo_config(), read_file(kExampleFile));
}

TEST(ConfigEmbedded, ParsesWithoutProblems) {
    const ConfigResult r = parse_config(embedded_demo_config(), std::string(kiosk::app::kEmbeddedConfigName));
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->identity.kiosk.site_id, "BVDK-DEMO");
    EXPECT_EQ(r.config->services.size(), 8u);
}

// ---- defaults and conversions -------------------------------------------------------------------------

TEST(ConfigParse, MinimalConfigGetsTheDefaults) {
    const ConfigResult r = parse_config(kBase, "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    const auto& c = *r.config;
    EXPECT_EQ(c.identity.kiosk.site_id, "BVDK-TEST");
    EXPECT_EQ(c.identity.kiosk.kiosk_id, "SANH-A-01");
    EXPECT_EQ(c.identity.kiosk.kiosk_letter, 'A');
    EXPECT_EQ(c.identity.kiosk.utc_offset_minutes, 420);
    EXPECT_EQ(c.identity.hospital_name, "Bệnh viện Test");
    EXPECT_EQ(c.identity.hospital_name_en, "Bệnh viện Test"); // falls back to hospital_name
    EXPECT_EQ(c.display.languages, (std::vector<std::string>{"vi", "en"}));
    EXPECT_EQ(c.display.idle_timeout_seconds, 60);
    EXPECT_FLOAT_EQ(c.display.ui_scale, 1.0f);
    EXPECT_EQ(c.his.base_url, "");
    EXPECT_EQ(c.storage.data_dir, default_data_dir());
    EXPECT_EQ(c.storage.patient_cache_days, 30);
    EXPECT_EQ(c.display.font_regular, fs::path(kiosk::app::kDefaultFontRegular));
    EXPECT_EQ(c.display.font_bold, fs::path(kiosk::app::kDefaultFontBold));
    // [sync] left out: today's pace (50 records a request, retries from 2 s to 5 min, reference data
    // every 5 min).
    EXPECT_EQ(c.sync.batch_size, 50);
    EXPECT_EQ(c.sync.retry_first_seconds, 2);
    EXPECT_EQ(c.sync.retry_max_seconds, 300);
    EXPECT_EQ(c.sync.reference_download_minutes, 5);
    ASSERT_EQ(c.services.size(), 2u);
    EXPECT_EQ(c.services[1].code, "XN");
    EXPECT_EQ(c.services[1].prefix, "C");
    EXPECT_EQ(c.services[1].name_vi, "Xét nghiệm");
}

TEST(ConfigParse, OptionalKeysAreRead) {
    const std::string text = replace_line(with_identity("hospital_name_en = \"Test Hospital\"\n"
                                                        "utc_offset = \"-03:30\""),
                                          1,
                                          "display.languages = [\"en\", \"vi\"]\n"
                                          "display.idle_timeout_seconds = 120\n"
                                          "display.ui_scale = 2\n"
                                          "storage.data_dir = \"/srv/kiosk\"\n"
                                          "storage.patient_cache_days = 7\n"
                                          "display.font_regular = \"/opt/f/R.ttf\"\n"
                                          "display.font_bold = \"/opt/f/B.ttf\"\n"
                                          "his.base_url = \"https://his.example.vn/fhir\"\n"
                                          "his.identifier_base = \"https://bvdk-test.vn/fhir/sid/\"");
    const ConfigResult r = parse_config(text, "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    const auto& c = *r.config;
    EXPECT_EQ(c.identity.hospital_name_en, "Test Hospital");
    EXPECT_EQ(c.identity.kiosk.utc_offset_minutes, -210);
    EXPECT_EQ(c.display.languages, (std::vector<std::string>{"en", "vi"}));
    EXPECT_EQ(c.display.idle_timeout_seconds, 120);
    EXPECT_FLOAT_EQ(c.display.ui_scale, 2.0f); // an integer is accepted
    EXPECT_EQ(c.storage.data_dir, fs::path("/srv/kiosk"));
    EXPECT_EQ(c.storage.patient_cache_days, 7);
    EXPECT_EQ(c.display.font_regular, fs::path("/opt/f/R.ttf"));
    EXPECT_EQ(c.display.font_bold, fs::path("/opt/f/B.ttf"));
    EXPECT_EQ(c.his.base_url, "https://his.example.vn/fhir");
    EXPECT_EQ(c.his.identifier_base, "https://bvdk-test.vn/fhir/sid/");
}

TEST(ConfigParse, IdentifierSystemsDefaultToTheVnCoreUrisAndAreConfigurable) {
    // Defaults: the VN Core IG's NamingSystems, absolute URIs, never the unregistered "urn:kiosk:" namespace.
    const ConfigResult d = parse_config(kBase, "site.toml");
    ASSERT_TRUE(d.ok()) << all_problems(d);
    EXPECT_EQ(d.config->his.cccd_system, "http://fhir.ehealth.gov.vn/core/sid/national_id");
    EXPECT_EQ(d.config->his.bhyt_system, "http://fhir.ehealth.gov.vn/core/sid/insurance_number");
    EXPECT_EQ(d.config->his.identifier_base, "") << "no HIS, no namespace needed";

    const ConfigResult r = parse_config(kBase + "[his]\n"
                                                "base_url = \"https://his.bvdk-test.vn/fhir/R4\"\n"
                                                "identifier_base = \"https://bvdk-test.vn/fhir/sid/\"\n"
                                                "cccd_system = \"urn:oid:2.16.704.1.1.1\"\n"
                                                "bhyt_system = \"https://bvdk-test.vn/fhir/sid/bhyt\"\n",
                                        "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->his.identifier_base, "https://bvdk-test.vn/fhir/sid/");
    EXPECT_EQ(r.config->his.cccd_system, "urn:oid:2.16.704.1.1.1");
    EXPECT_EQ(r.config->his.bhyt_system, "https://bvdk-test.vn/fhir/sid/bhyt");
}

TEST(ConfigParse, AHisNeedsTheHospitalsIdentifierBase) {
    const ConfigResult r =
        parse_config(kBase + "[his]\nbase_url = \"https://his.bvdk-test.vn/fhir/R4\"\n", "site.toml");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "his.identifier_base");
    EXPECT_EQ(r.problems[0].line, 17) << r.problems[0].to_string();
    EXPECT_NE(r.problems[0].message.find("is required with base_url"), std::string::npos)
        << r.problems[0].to_string();
}

// A CA bundle and a client secret file (mode 0600 unless told) in dir, as [his] lines naming them.
std::string his_files(const kiosk::test::TempDir& dir, fs::perms secret_mode = fs::perms(0600)) {
    write_file(dir / "ca.pem", "-----BEGIN CERTIFICATE-----\n");
    write_file(dir / "secret", "s3cret\n");
    fs::permissions(dir / "secret", secret_mode);
    return "his.ca_bundle = \"" + (dir / "ca.pem").string() + "\"\nhis.client_secret_file = \"" +
           (dir / "secret").string() + "\"";
}

TEST(ConfigParse, HisTlsAndOAuth2KeysAreRead) {
    kiosk::test::TempDir dir;
    const std::string text = replace_line(kBase, 1,
                                          "his.base_url = \"https://his.example.vn/fhir\"\n"
                                          "his.identifier_base = \"https://bvdk-test.vn/fhir/sid/\"\n"
                                          "his.token_url = \"https://his.example.vn/token\"\n"
                                          "his.client_id = \"kiosk-1\"\n" +
                                              his_files(dir));
    const ConfigResult r = parse_config(text, "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->his.ca_bundle, dir / "ca.pem");
    EXPECT_EQ(r.config->his.token_url, "https://his.example.vn/token");
    EXPECT_EQ(r.config->his.client_id, "kiosk-1");
    EXPECT_EQ(r.config->his.client_secret_file, dir / "secret");
}

TEST(ConfigParse, ASecretFileOthersCanReadIsRefusedWithTheFix) {
    for (const auto mode : {fs::perms(0644), fs::perms(0660), fs::perms(0604), fs::perms(0640)}) {
        kiosk::test::TempDir dir;
        const std::string text = replace_line(kBase, 1,
                                              "his.base_url = \"https://his.example.vn/fhir\"\n"
                                              "his.identifier_base = \"https://bvdk-test.vn/fhir/sid/\"\n"
                                              "his.token_url = \"https://his.example.vn/token\"\n"
                                              "his.client_id = \"kiosk-1\"\n" +
                                                  his_files(dir, mode));
        const ConfigResult r = parse_config(text, "site.toml");
        ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
        EXPECT_EQ(r.problems[0].key, "his.client_secret_file");
        EXPECT_EQ(r.problems[0].line, 6);
        EXPECT_NE(r.problems[0].message.find("can be read by other users"), std::string::npos)
            << r.problems[0].message;
        EXPECT_NE(r.problems[0].message.find("chmod 600 " + (dir / "secret").string()), std::string::npos)
            << r.problems[0].message;
    }
}

TEST(ConfigParse, AMissingSecretFileIsAProblemOfTheConfig) {
    const ConfigResult r = parse_config(replace_line(kBase, 1,
                                                     "his.token_url = \"https://his.example.vn/token\"\n"
                                                     "his.client_id = \"kiosk-1\"\n"
                                                     "his.client_secret_file = \"/nonexistent/secret\""),
                                        "site.toml");
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "his.client_secret_file");
    EXPECT_NE(r.problems[0].message.find("/nonexistent/secret: No such file or directory"), std::string::npos)
        << r.problems[0].message;
}

TEST(ConfigParse, PlainHttpTokenUrlIsAcceptedOnlyForThisMachine) {
    for (const char* url :
         {"http://127.0.0.1:8080/token", "http://localhost/token", "http://[::1]:9/token"}) {
        kiosk::test::TempDir dir;
        const ConfigResult r = parse_config(replace_line(kBase, 1,
                                                         std::string("his.token_url = \"") + url +
                                                             "\"\nhis.client_id = \"k\"\n" + his_files(dir)),
                                            "site.toml");
        EXPECT_TRUE(r.ok()) << url << all_problems(r);
    }
}

TEST(ConfigParse, CredentialsInAUrlAreRefusedAndNeverRepeated) {
    const ConfigResult r = parse_config(
        replace_line(kBase, 1, "his.base_url = \"https://kiosk:hunter2@his.example.vn/fhir\""), "site.toml");
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "his.base_url");
    EXPECT_NE(r.problems[0].message.find("must not contain a user name or password"), std::string::npos);
    EXPECT_NE(r.problems[0].message.find("token_url"), std::string::npos);
    EXPECT_NE(r.problems[0].message.find("ca_bundle"), std::string::npos);
    EXPECT_EQ(all_problems(r).find("hunter2"), std::string::npos) << all_problems(r);
    // Malformed and with credentials: the message shows the URL, but not the password.
    const ConfigResult bad = parse_config(
        replace_line(kBase, 1, "his.base_url = \"https://kiosk:hunter2@[::1/fhir\""), "site.toml");
    ASSERT_EQ(bad.problems.size(), 1u) << all_problems(bad);
    EXPECT_EQ(all_problems(bad).find("hunter2"), std::string::npos) << all_problems(bad);
}

// ---- hostile input --------------------------------------------------------------------------------------

TEST(ConfigHostile, ADottedKeyOf40000SegmentsIsRefusedBeforeParsing) {
    std::string key = "a";
    for (int i = 0; i < 40000; ++i)
        key += ".a";
    const ConfigResult r = parse_config(replace_line(kBase, 1, key + " = 1"), "site.toml");
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].line, 1);
    EXPECT_EQ(r.problems[0].column, 66); // the 33rd dot
    EXPECT_NE(r.problems[0].message.find("more than 32 dots on one line"), std::string::npos)
        << r.problems[0].message;
    // The same as a table header.
    const ConfigResult header = parse_config(kBase + "[" + key + "]\n", "site.toml");
    ASSERT_EQ(header.problems.size(), 1u) << all_problems(header);
    EXPECT_EQ(header.problems[0].line, 17);
}

TEST(ConfigHostile, DeeplyNestedArraysAndInlineTablesAreRefusedBeforeParsing) {
    const ConfigResult arrays = parse_config(
        replace_line(kBase, 1, "x = " + std::string(40000, '[') + std::string(40000, ']')), "site.toml");
    ASSERT_EQ(arrays.problems.size(), 1u) << all_problems(arrays);
    EXPECT_EQ(arrays.problems[0].column, 37); // the 33rd '['
    EXPECT_NE(arrays.problems[0].message.find("nested more than 32 deep"), std::string::npos);
    std::string tables = "x = ";
    for (int i = 0; i < 5000; ++i)
        tables += "{a=";
    const ConfigResult inline_tables = parse_config(replace_line(kBase, 1, tables + "1"), "site.toml");
    ASSERT_EQ(inline_tables.problems.size(), 1u) << all_problems(inline_tables);
    EXPECT_NE(inline_tables.problems[0].message.find("nested more than 32 deep"), std::string::npos);
}

TEST(ConfigHostile, DotsAndBracketsInsideStringsAndCommentsAreNotCounted) {
    const std::string many(200, '.');
    const std::string brackets(200, '[');
    const ConfigResult r =
        parse_config(replace_line(with_identity("# " + many + brackets + "\nhospital_name_en = \"" + many +
                                                brackets + "\""),
                                  1, "display.languages = ['vi', '''en''']"),
                     "site.toml");
    EXPECT_TRUE(r.ok()) << all_problems(r);
}

TEST(ConfigHostile, MoreThanOneMebibyteIsRefusedUnparsed) {
    const ConfigResult r = parse_config(kBase + std::string(1024 * 1024, '#'), "site.toml");
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(
        r.problems[0].to_string(),
        "site.toml: is larger than 1024 KiB: a site config is a few KiB of text (is this the right file?)");
}

TEST(ConfigHostile, AnEndlessFileIsReadOnlyUpToTheLimit) {
    const ConfigResult r = load_config_file("/dev/zero");
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_NE(r.problems[0].message.find("is larger than 1024 KiB"), std::string::npos)
        << r.problems[0].message;
}

TEST(ConfigParse, LookupTimeoutDefaultsToThreeSecondsAndIsRead) {
    const ConfigResult d = parse_config(kBase, "site.toml");
    ASSERT_TRUE(d.ok()) << all_problems(d);
    EXPECT_EQ(d.config->his.lookup_timeout_seconds, 3);
    const ConfigResult r =
        parse_config(replace_line(kBase, 1, "his.lookup_timeout_seconds = 5"), "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->his.lookup_timeout_seconds, 5);
}

TEST(ConfigParse, OAuth2NeedsAllThreeKeys) {
    const ConfigResult r =
        parse_config(replace_line(kBase, 1, "his.token_url = \"https://his.example.vn/token\""), "site.toml");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_EQ(r.problems[0].key, "his.token_url");
    EXPECT_NE(r.problems[0].message.find("client_id and client_secret_file"), std::string::npos);
    const ConfigResult bad =
        parse_config(replace_line(kBase, 1, "his.token_url = \"token.example\""), "site.toml");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(all_problems(bad).find("must start with http:// or https://"), std::string::npos);
}

TEST(ConfigParse, DecomposedVietnameseComesOutNfc) {
    // "Khám" with the accent as a separate combining mark (U+0301), as some input methods produce.
    const std::string nfd = "Kha\xCC\x81m";
    const std::string nfc = "Kh\xC3\xA1m";
    std::string text = replace_line(kBase, 6, "hospital_name = \"Bệnh viện " + nfd + "\"");
    text = replace_line(text, 10, "name_vi = \"" + nfd + " BHYT\"");
    const ConfigResult r = parse_config(text, "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->identity.hospital_name, "Bệnh viện " + nfc);
    EXPECT_EQ(r.config->services[0].name_vi, nfc + " BHYT");
}

TEST(ConfigParse, AcceptsBomAndCrlf) {
    std::string crlf;
    for (const char c : kBase) {
        if (c == '\n') crlf += '\r';
        crlf += c;
    }
    const ConfigResult r = parse_config("\xEF\xBB\xBF" + crlf, "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->services[1].name_en, "Laboratory tests");
}

TEST(ConfigParse, RelativeDataDirWithoutAFileResolvesAgainstTheCurrentDir) {
    const ConfigResult r = parse_config(replace_line(kBase, 1, "storage.data_dir = \"data\""), "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->storage.data_dir, (fs::current_path() / "data").lexically_normal());
}

TEST(ConfigParse, TwelveServicesAreAllowedThirteenAreNot) {
    const auto config_with = [](int n) {
        std::string text = head(kBase, 6);
        for (int i = 0; i < n; ++i) {
            const char letter = static_cast<char>('A' + i);
            text += "[[services]]\ncode = \"S" + std::to_string(i) + "\"\nprefix = \"" + letter +
                    "\"\nname_vi = \"Dịch vụ " + std::to_string(i) + "\"\nname_en = \"Service\"\n";
        }
        return text;
    };
    const ConfigResult twelve = parse_config(config_with(12), "site.toml");
    ASSERT_TRUE(twelve.ok()) << all_problems(twelve);
    EXPECT_EQ(twelve.config->services.size(), 12u);

    const ConfigResult thirteen = parse_config(config_with(13), "site.toml");
    ASSERT_EQ(thirteen.problems.size(), 1u) << all_problems(thirteen);
    const ConfigProblem& p = thirteen.problems[0];
    EXPECT_EQ(p.key, "services");
    EXPECT_EQ(p.line, 6 + 12 * 5 + 1); // the 13th [[services]] header
    EXPECT_NE(p.message.find("at most 12"), std::string::npos) << p.message;
    EXPECT_FALSE(thirteen.ok());
}

// ---- one bad thing at a time --------------------------------------------------------------------------

struct BadCase {
    std::string name;
    std::string text;
    std::string key; // "" = the file as a whole
    int line;
    int column;
    std::string fragment;
};

void PrintTo(const BadCase& c, std::ostream* os) {
    *os << c.name;
}

class ConfigBadCase : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigBadCase, ReportsExactlyOneProblemWithKeyAndPosition) {
    const BadCase& c = GetParam();
    const ConfigResult r = parse_config(c.text, "site.toml");
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.config.has_value());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    const ConfigProblem& p = r.problems[0];
    EXPECT_EQ(p.file, "site.toml");
    EXPECT_EQ(p.key, c.key) << p.to_string();
    EXPECT_EQ(p.line, c.line) << p.to_string();
    EXPECT_EQ(p.column, c.column) << p.to_string();
    EXPECT_NE(p.message.find(c.fragment), std::string::npos) << p.to_string();
}

// Columns count characters (code points) from 1, pointing at the offending value or key.
const std::vector<BadCase> kBadCases{
    {"MissingSiteId", replace_line(kBase, 3, "# no site_id"), "identity.site_id", 2, 1,
     "required key is missing"},
    {"MissingIdentityTable", without_lines(kBase, 2, 6), "identity", 0, 0,
     "required: add an [identity] table"},
    {"SiteIdLowerCase", replace_line(kBase, 3, "site_id = \"bvdk\""), "identity.site_id", 3, 11,
     "A-Z, 0-9 and '-'"},
    {"KioskIdWithSpace", replace_line(kBase, 4, "kiosk_id = \"SANH A\""), "identity.kiosk_id", 4, 12,
     "1-32 characters"},
    {"KioskLetterTwoLetters", replace_line(kBase, 5, "kiosk_letter = \"AB\""), "identity.kiosk_letter", 5, 16,
     "exactly one letter A-Z"},
    {"KioskLetterDigit", replace_line(kBase, 5, "kiosk_letter = \"1\""), "identity.kiosk_letter", 5, 16,
     "exactly one letter A-Z"},
    {"KioskLetterNotAString", replace_line(kBase, 5, "kiosk_letter = 1"), "identity.kiosk_letter", 5, 16,
     "must be a string, not an integer"},
    {"HospitalNameEmpty", replace_line(kBase, 6, "hospital_name = \"  \""), "identity.hospital_name", 6, 17,
     "must not be empty"},
    {"IdleTimeoutQuoted", replace_line(kBase, 1, "display.idle_timeout_seconds = \"60\""),
     "display.idle_timeout_seconds", 1, 32, "must be an integer"},
    {"IdleTimeoutTooShort", replace_line(kBase, 1, "display.idle_timeout_seconds = 5"),
     "display.idle_timeout_seconds", 1, 32, "between 15 and 3600 seconds, got 5"},
    {"PatientCacheDaysZero", replace_line(kBase, 1, "storage.patient_cache_days = 0"),
     "storage.patient_cache_days", 1, 30, "between 1 and 3650 days, got 0"},
    {"PatientCacheDaysQuoted", replace_line(kBase, 1, "storage.patient_cache_days = \"30\""),
     "storage.patient_cache_days", 1, 30, "remove the quotes"},
    {"CccdSystemNotAUri", kBase + "[his]\ncccd_system = \"cccd numbers\"\n", "his.cccd_system", 18, 15,
     "must be the URI"},
    {"IdentifierBaseNotAnHttpUri", kBase + "[his]\nidentifier_base = \"urn:kiosk:BVDK-TEST\"\n",
     "his.identifier_base", 18, 19, "must be an absolute http:// or https:// URI"},
    {"IdentifierBaseWithoutTrailingSlash", kBase + "[his]\nidentifier_base = \"https://bvdk-test.vn/sid\"\n",
     "his.identifier_base", 18, 19, "ending in '/'"},
    {"IdentifierBaseWithUserInfo", kBase + "[his]\nidentifier_base = \"https://me@bvdk-test.vn/sid/\"\n",
     "his.identifier_base", 18, 19, "user info"},
    {"IdentifierBaseWithoutHost", kBase + "[his]\nidentifier_base = \"https:///sid/\"\n",
     "his.identifier_base", 18, 19, "under the hospital's own domain"},
    {"LookupTimeoutZero", kBase + "[his]\nlookup_timeout_seconds = 0\n", "his.lookup_timeout_seconds", 18, 26,
     "between 1 and 15 seconds, got 0"},
    {"LookupTimeoutTooLong", kBase + "[his]\nlookup_timeout_seconds = 60\n", "his.lookup_timeout_seconds", 18,
     26, "between 1 and 15 seconds, got 60"},
    {"LookupTimeoutFractional", kBase + "[his]\nlookup_timeout_seconds = 2.5\n", "his.lookup_timeout_seconds",
     18, 26, "must be an integer"},
    {"UiScaleTooLarge", replace_line(kBase, 1, "display.ui_scale = 9"), "display.ui_scale", 1, 20,
     "between 0.5 and 3.0, got 9"},
    {"UiScaleQuoted", replace_line(kBase, 1, "display.ui_scale = \"1.5\""), "display.ui_scale", 1, 20,
     "must be a number"},
    {"LanguageUnsupported", replace_line(kBase, 1, "display.languages = [\"vi\", \"fr\"]"),
     "display.languages[2]", 1, 28, "unsupported language \"fr\""},
    {"LanguageDuplicate", replace_line(kBase, 1, "display.languages = [\"vi\", \"vi\"]"),
     "display.languages[2]", 1, 28, "duplicate language \"vi\""},
    {"LanguagesEmpty", replace_line(kBase, 1, "display.languages = []"), "display.languages", 1, 21,
     "at least one language"},
    {"UtcOffsetMalformed", with_identity("utc_offset = \"+7:00\""), "identity.utc_offset", 7, 14,
     "must look like \"+07:00\""},
    {"UtcOffsetOutOfRange", with_identity("utc_offset = \"+15:00\""), "identity.utc_offset", 7, 14,
     "between -12:00 and +14:00"},
    {"HisBaseUrlFtp", replace_line(kBase, 1, "his.base_url = \"ftp://x\""), "his.base_url", 1, 16,
     "must start with http:// or https://"},
    {"HisBaseUrlUnclosedIpv6", replace_line(kBase, 1, "his.base_url = \"https://[::1\""), "his.base_url", 1,
     16, "is not a usable URL"},
    {"HisBaseUrlPortTooLarge", replace_line(kBase, 1, "his.base_url = \"https://his.example.vn:99999/fhir\""),
     "his.base_url", 1, 16, "got \"https://his.example.vn:99999/fhir\""},
    {"HisBaseUrlPortZero", replace_line(kBase, 1, "his.base_url = \"https://his.example.vn:0/fhir\""),
     "his.base_url", 1, 16, "got \"https://his.example.vn:0/fhir\""},
    {"HisBaseUrlWithPassword", replace_line(kBase, 1, "his.base_url = \"https://u:p@his.example.vn/fhir\""),
     "his.base_url", 1, 16, "must not contain a user name or password"},
    {"HisTokenUrlPlainHttp", replace_line(kBase, 1, "his.token_url = \"http://his.example.vn/token\""),
     "his.token_url", 1, 17,
     "must start with https://: over http:// the client secret would cross the network"},
    {"HisCaBundleMissing", replace_line(kBase, 1, "his.ca_bundle = \"/nonexistent/ca.pem\""), "his.ca_bundle",
     1, 17, "cannot read the CA bundle /nonexistent/ca.pem: No such file or directory"},
    {"FontPathEmpty", replace_line(kBase, 1, "display.font_regular = \"\""), "display.font_regular", 1, 24,
     "must not be empty"},
    {"DisplayNotATable", replace_line(kBase, 1, "display = \"NotoSans\""), "display", 1, 11,
     "must be a table"},
    {"SyncNotATable", replace_line(kBase, 1, "sync = 5"), "sync", 1, 8,
     "must be a table ([sync]), not an integer"},
    {"DuplicateServicePrefix", replace_line(kBase, 14, "prefix = \"A\""), "services[2].prefix", 14, 10,
     "duplicate prefix \"A\": already used by services[1] on line 9"},
    {"DuplicateServiceCode", replace_line(kBase, 13, "code = \"KBH\""), "services[2].code", 13, 8,
     "duplicate code \"KBH\": already used by services[1] on line 8"},
    {"ServicePrefixLowerCase", replace_line(kBase, 14, "prefix = \"c\""), "services[2].prefix", 14, 10,
     "exactly one letter A-Z"},
    {"ServiceCodeTooLong", replace_line(kBase, 13, "code = \"XETNGHIEM\""), "services[2].code", 13, 8,
     "1-8 characters of A-Z and 0-9"},
    {"ServiceNameMissing", replace_line(kBase, 16, "# no name_en"), "services[2].name_en", 12, 1,
     "required key is missing"},
    {"ServicesEmpty", replace_line(head(kBase, 6), 1, "services = []"), "services", 1, 12,
     "at least one entry"},
    {"ServicesMissing", head(kBase, 6), "services", 0, 0, "[[services]]"},
    {"UnknownKeyWithSuggestion", kBase + "[display]\nidle_timeout = 60\n", "display.idle_timeout", 18, 1,
     "unknown key 'idle_timeout' \xE2\x80\x94 did you mean 'idle_timeout_seconds'?"},
    {"UnknownKeyTypo", kBase + "[display]\nui-scale = 1.5\n", "display.ui-scale", 18, 1,
     "did you mean 'ui_scale'?"},
    {"UnknownSyncKeyTypo", kBase + "[sync]\nbatch = 10\n", "sync.batch", 18, 1, "did you mean 'batch_size'?"},
    {"UnknownTopLevelKey", replace_line(kBase, 1, "printer = 1"), "printer", 1, 1,
     "(allowed in the top level: identity, display, storage, his, sync, payment, services)"},
    {"UnknownServiceKey", replace_line(kBase, 11, "name_english = \"x\"\nname_en = \"y\""),
     "services[1].name_english", 11, 1, "did you mean 'name_en'?"},
    {"DisplayKeyBelowAnotherTable", kBase + "idle_timeout_seconds = 30\n", "services[2].idle_timeout_seconds",
     17, 1, "here: 'idle_timeout_seconds' belongs in the [display] table"},
    {"IdentityKeyInDisplay", kBase + "[display]\nsite_id = \"X\"\n", "display.site_id", 18, 1,
     "belongs in the [identity] table"},
    {"TableWrittenInsideAnotherTable", with_identity("his = { base_url = \"\" }"), "identity.his", 7, 1,
     "'his' is a table of its own: start it with a [his] line"},
    {"SyntaxErrorUnterminatedString", replace_line(kBase, 6, "hospital_name = \"Bệnh viện"), "", 6, 27,
     "closing quote missing"},
    {"SyntaxErrorDuplicateKey", with_identity("site_id = \"OTHER\""), "", 7, 11, "syntax error"},
    {"InvalidUtf8InHospitalName", replace_line(kBase, 6, "hospital_name = \"B\xE9nh vi\xEAn\""),
     "identity.hospital_name", 6, 19, "is not valid UTF-8"},
    {"InvalidUtf8InComment", replace_line(kBase, 1, "# ghi ch\xFA"), "", 1, 9, "invalid UTF-8 (byte 0xFA)"},
    {"InvalidUtf8InKey", replace_line(kBase, 1, "ghi_ch\xFA = 1"), "", 1, 7, "invalid UTF-8"},
    // [sync]: line 18 holds the key (kBase + "[sync]" + the key).
    {"SyncBatchSizeZero", kBase + "[sync]\nbatch_size = 0\n", "sync.batch_size", 18, 14,
     "between 1 and 500 records, got 0"},
    {"SyncBatchSizeTooLarge", kBase + "[sync]\nbatch_size = 501\n", "sync.batch_size", 18, 14,
     "between 1 and 500 records, got 501"},
    {"SyncBatchSizeQuoted", kBase + "[sync]\nbatch_size = \"50\"\n", "sync.batch_size", 18, 14,
     "must be an integer (whole number of records), not a string: remove the quotes"},
    {"SyncRetryFirstZero", kBase + "[sync]\nretry_first_seconds = 0\n", "sync.retry_first_seconds", 18, 23,
     "between 1 and 600 seconds, got 0"},
    {"SyncRetryFirstTooLong", kBase + "[sync]\nretry_first_seconds = 601\nretry_max_seconds = 3600\n",
     "sync.retry_first_seconds", 18, 23, "between 1 and 600 seconds, got 601"},
    {"SyncRetryFirstFractional", kBase + "[sync]\nretry_first_seconds = 2.5\n", "sync.retry_first_seconds",
     18, 23, "must be an integer (whole number of seconds), not a floating-point number"},
    {"SyncRetryFirstAboveTheDefaultMax", kBase + "[sync]\nretry_first_seconds = 400\n",
     "sync.retry_first_seconds", 18, 23,
     "is more than retry_max_seconds (300 by default): set retry_max_seconds too, at least 400"},
    {"SyncRetryMaxZero", kBase + "[sync]\nretry_max_seconds = 0\n", "sync.retry_max_seconds", 18, 21,
     "between 1 and 3600 seconds, got 0"},
    {"SyncRetryMaxTooLong", kBase + "[sync]\nretry_max_seconds = 3601\n", "sync.retry_max_seconds", 18, 21,
     "between 1 and 3600 seconds, got 3601"},
    {"SyncRetryMaxQuoted", kBase + "[sync]\nretry_max_seconds = \"300\"\n", "sync.retry_max_seconds", 18, 21,
     "remove the quotes"},
    {"SyncRetryMaxBelowTheFirst", kBase + "[sync]\nretry_first_seconds = 60\nretry_max_seconds = 30\n",
     "sync.retry_max_seconds", 19, 21, "must be at least retry_first_seconds (60), got 30"},
    {"SyncRetryMaxBelowTheDefaultFirst", kBase + "[sync]\nretry_max_seconds = 1\n", "sync.retry_max_seconds",
     18, 21, "must be at least retry_first_seconds (2), got 1"},
    {"SyncReferenceDownloadZero", kBase + "[sync]\nreference_download_minutes = 0\n",
     "sync.reference_download_minutes", 18, 30, "between 1 and 1440 minutes, got 0"},
    {"SyncReferenceDownloadTooRare", kBase + "[sync]\nreference_download_minutes = 1441\n",
     "sync.reference_download_minutes", 18, 30, "between 1 and 1440 minutes, got 1441"},
    {"SyncReferenceDownloadNotANumber", kBase + "[sync]\nreference_download_minutes = true\n",
     "sync.reference_download_minutes", 18, 30,
     "must be an integer (whole number of minutes), not a boolean"},
    // A site config written for an older kiosk (keys at the top, [fonts]): each key names its new table.
    {"MovedUiScale", replace_line(kBase, 1, "ui_scale = 1.5"), "ui_scale", 1, 1,
     "moved to [display] (see site.example.toml)"},
    {"MovedDataDir", replace_line(kBase, 1, "data_dir = \"/srv/kiosk\""), "data_dir", 1, 1,
     "moved to [storage] (see site.example.toml)"},
    {"MovedFonts", replace_line(kBase, 1, "fonts.regular = \"/opt/f/R.ttf\""), "fonts", 1, 1,
     "moved to [display] as font_regular and font_bold (see site.example.toml)"},
    {"MovedSiteIdIsNotAlsoMissing",
     replace_line(replace_line(kBase, 3, "# site_id is at the top"), 1, "site_id = \"BVDK-TEST\""), "site_id",
     1, 1, "moved to [identity] (see site.example.toml)"},
};

INSTANTIATE_TEST_SUITE_P(Rules, ConfigBadCase, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& p) { return p.param.name; });

// ---- [sync] -------------------------------------------------------------------------------------------

TEST(ConfigSync, KeysAreRead) {
    const ConfigResult r = parse_config(kBase + "[sync]\n"
                                                "batch_size = 10\n"
                                                "retry_first_seconds = 5\n"
                                                "retry_max_seconds = 600\n"
                                                "reference_download_minutes = 30\n",
                                        "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->sync.batch_size, 10);
    EXPECT_EQ(r.config->sync.retry_first_seconds, 5);
    EXPECT_EQ(r.config->sync.retry_max_seconds, 600);
    EXPECT_EQ(r.config->sync.reference_download_minutes, 30);
}

TEST(ConfigSync, AnEmptyTableKeepsTheDefaults) {
    const ConfigResult r = parse_config(kBase + "[sync]\n", "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->sync.batch_size, 50);
    EXPECT_EQ(r.config->sync.retry_first_seconds, 2);
    EXPECT_EQ(r.config->sync.retry_max_seconds, 300);
    EXPECT_EQ(r.config->sync.reference_download_minutes, 5);
}

TEST(ConfigSync, BoundsAreInclusive) {
    const ConfigResult low = parse_config(kBase + "[sync]\nbatch_size = 1\nretry_first_seconds = 1\n"
                                                  "retry_max_seconds = 1\nreference_download_minutes = 1\n",
                                          "site.toml");
    ASSERT_TRUE(low.ok()) << all_problems(low);
    EXPECT_EQ(low.config->sync.batch_size, 1);
    EXPECT_EQ(low.config->sync.retry_first_seconds, 1);
    EXPECT_EQ(low.config->sync.retry_max_seconds, 1); // the same as the first: every retry waits alike
    EXPECT_EQ(low.config->sync.reference_download_minutes, 1);
    const ConfigResult high =
        parse_config(kBase + "[sync]\nbatch_size = 500\nretry_first_seconds = 600\n"
                             "retry_max_seconds = 3600\nreference_download_minutes = 1440\n",
                     "site.toml");
    ASSERT_TRUE(high.ok()) << all_problems(high);
    EXPECT_EQ(high.config->sync.batch_size, 500);
    EXPECT_EQ(high.config->sync.retry_first_seconds, 600);
    EXPECT_EQ(high.config->sync.retry_max_seconds, 3600);
    EXPECT_EQ(high.config->sync.reference_download_minutes, 1440);
}

TEST(ConfigSync, ARefusedRetryKeyIsNotComparedWithTheOther) {
    // The first wait is written but refused (quoted): comparing retry_max_seconds = 1 with the default first
    // wait (2 s) would add a second problem about a value the admin did not write.
    const ConfigResult r =
        parse_config(kBase + "[sync]\nretry_first_seconds = \"10\"\nretry_max_seconds = 1\n", "site.toml");
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "sync.retry_first_seconds");
    EXPECT_NE(r.problems[0].message.find("remove the quotes"), std::string::npos) << r.problems[0].message;
}

// ---- upgrading from the layout without tables ---------------------------------------------------------

TEST(ConfigUpgrade, ThePreviousExampleFileGetsOneProblemPerMovedKey) {
    // tests/app/data/site-0.1.example.toml is config/site.example.toml as kiosk 0.1 shipped it.
    const fs::path old = fs::path(KIOSK_SOURCE_DIR) / "tests" / "app" / "data" / "site-0.1.example.toml";
    const ConfigResult r = load_config_file(old);
    EXPECT_FALSE(r.ok());
    struct Moved {
        std::string key;
        int line;
        int column; // of the key; a [table] line's name starts after its '['
        std::string table;
    };
    const std::vector<Moved> expected{
        {"site_id", 33, 1, "[identity]"},
        {"kiosk_id", 38, 1, "[identity]"},
        {"kiosk_letter", 43, 1, "[identity]"},
        {"hospital_name", 48, 1, "[identity]"},
        {"hospital_name_en", 51, 1, "[identity]"},
        {"utc_offset", 56, 1, "[identity]"},
        {"languages", 60, 1, "[display]"},
        {"idle_timeout_seconds", 64, 1, "[display]"},
        {"ui_scale", 70, 1, "[display]"},
        {"patient_cache_days", 77, 1, "[storage]"},
        {"fonts", 87, 2, "[display] as font_regular and font_bold"},
    };
    ASSERT_EQ(r.problems.size(), expected.size())
        << all_problems(r); // nothing else: [his], [[services]] hold
    for (std::size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE(expected[i].key);
        EXPECT_EQ(r.problems[i].key, expected[i].key);
        EXPECT_EQ(r.problems[i].line, expected[i].line);
        EXPECT_EQ(r.problems[i].column, expected[i].column);
        EXPECT_EQ(r.problems[i].message, "moved to " + expected[i].table + " (see site.example.toml)");
    }
    EXPECT_EQ(r.problems[8].to_string(),
              old.string() + ":70:1: ui_scale: moved to [display] (see site.example.toml)");
}

TEST(ConfigUpgrade, MovingTheKeysAsToldGivesTheSameSite) {
    // What an IT admin does with the problems above: every key under the table named, [fonts] renamed.
    const std::string old_layout = "site_id = \"BVDK-TEST\"\n"
                                   "kiosk_id = \"SANH-A-01\"\n"
                                   "kiosk_letter = \"B\"\n"
                                   "hospital_name = \"Bệnh viện Test\"\n"
                                   "utc_offset = \"+08:00\"\n"
                                   "idle_timeout_seconds = 90\n"
                                   "data_dir = \"/srv/kiosk\"\n"
                                   "[fonts]\n"
                                   "bold = \"/opt/f/B.ttf\"\n" +
                                   kBase.substr(kBase.find("[[services]]"));
    const ConfigResult before = parse_config(old_layout, "site.toml");
    ASSERT_EQ(before.problems.size(), 8u) << all_problems(before);
    for (const auto& p : before.problems)
        EXPECT_NE(p.message.find("moved to ["), std::string::npos) << p.to_string();

    const std::string new_layout = "[identity]\n"
                                   "site_id = \"BVDK-TEST\"\n"
                                   "kiosk_id = \"SANH-A-01\"\n"
                                   "kiosk_letter = \"B\"\n"
                                   "hospital_name = \"Bệnh viện Test\"\n"
                                   "utc_offset = \"+08:00\"\n"
                                   "[display]\n"
                                   "idle_timeout_seconds = 90\n"
                                   "font_bold = \"/opt/f/B.ttf\"\n"
                                   "[storage]\n"
                                   "data_dir = \"/srv/kiosk\"\n" +
                                   kBase.substr(kBase.find("[[services]]"));
    const ConfigResult after = parse_config(new_layout, "site.toml");
    ASSERT_TRUE(after.ok()) << all_problems(after);
    EXPECT_EQ(after.config->identity.kiosk.kiosk_letter, 'B');
    EXPECT_EQ(after.config->identity.kiosk.utc_offset_minutes, 8 * 60);
    EXPECT_EQ(after.config->display.idle_timeout_seconds, 90);
    EXPECT_EQ(after.config->display.font_bold, fs::path("/opt/f/B.ttf"));
    EXPECT_EQ(after.config->storage.data_dir, fs::path("/srv/kiosk"));
}

// ---- several at once ----------------------------------------------------------------------------------

TEST(ConfigParse, ReportsEveryProblemSortedByLine) {
    std::string text = replace_line(kBase, 3, "# no site_id");
    text = replace_line(text, 5, "kiosk_letter = \"AB\"");
    text = replace_line(text, 14, "prefix = \"c\"");
    text = replace_line(text, 1, "display.ui_scale = 9\ndisplay.idle_timeout = 60"); // lines 1 and 2
    const ConfigResult r = parse_config(text, "site.toml");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 5u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "display.ui_scale");
    EXPECT_EQ(r.problems[0].line, 1);
    EXPECT_EQ(r.problems[1].key, "display.idle_timeout");
    EXPECT_EQ(r.problems[1].line, 2);
    EXPECT_EQ(r.problems[2].key, "identity.site_id"); // missing: at its table's line
    EXPECT_EQ(r.problems[2].line, 3);
    EXPECT_EQ(r.problems[3].key, "identity.kiosk_letter");
    EXPECT_EQ(r.problems[3].line, 6);
    EXPECT_EQ(r.problems[4].key, "services[2].prefix");
    EXPECT_EQ(r.problems[4].line, 15);
    // A problem without a line (a missing table) comes first.
    const ConfigResult none =
        parse_config(replace_line(without_lines(kBase, 2, 6), 1, "display.ui_scale = 9"), "site.toml");
    ASSERT_EQ(none.problems.size(), 2u) << all_problems(none);
    EXPECT_EQ(none.problems[0].key, "identity");
    EXPECT_EQ(none.problems[0].line, 0);
    EXPECT_EQ(none.problems[1].key, "display.ui_scale");
}

// ---- problem formatting -------------------------------------------------------------------------------

TEST(ConfigProblemText, FileLineColumnKeyMessage) {
    EXPECT_EQ((ConfigProblem{"site.toml", 12, 5, "services[2].prefix", "must be one letter A-Z"}.to_string()),
              "site.toml:12:5: services[2].prefix: must be one letter A-Z");
    EXPECT_EQ((ConfigProblem{"site.toml", 12, 0, "services[2]", "m"}.to_string()),
              "site.toml:12: services[2]: m");
    EXPECT_EQ((ConfigProblem{"site.toml", 0, 0, "site_id", "required key is missing"}.to_string()),
              "site.toml: site_id: required key is missing");
    EXPECT_EQ((ConfigProblem{"site.toml", 3, 7, "", "syntax error: x"}.to_string()),
              "site.toml:3:7: syntax error: x");
}

// ---- files --------------------------------------------------------------------------------------------

TEST(ConfigFile, RelativeDataDirResolvesAgainstTheConfigFilesDirectory) {
    kiosk::test::TempDir dir;
    fs::create_directories(dir / "etc");
    write_file(dir / "etc" / "site.toml", replace_line(kBase, 1,
                                                       "storage.data_dir = \"../var/kiosk\"\n"
                                                       "display.font_bold = \"fonts/Bold.ttf\""));
    const ConfigResult r = load_config_file(dir / "etc" / "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    EXPECT_EQ(r.config->storage.data_dir, (dir.path() / "var" / "kiosk").lexically_normal());
    EXPECT_EQ(r.config->display.font_bold, (dir.path() / "etc" / "fonts" / "Bold.ttf").lexically_normal());
    EXPECT_EQ(r.config->display.font_regular, fs::path(kiosk::app::kDefaultFontRegular));
}

TEST(ConfigFile, ProblemsNameTheFileAsGiven) {
    kiosk::test::TempDir dir;
    const fs::path file = dir / "site.toml";
    write_file(file, kBase + "[display]\nui_scale = 9\n");
    const ConfigResult r = load_config_file(file);
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].to_string(),
              file.string() + ":18:12: display.ui_scale: must be between 0.5 and 3.0, got 9");
}

TEST(ConfigFile, MissingFileIsOneProblemNamingThePath) {
    kiosk::test::TempDir dir;
    const fs::path file = dir / "no-such-site.toml";
    const ConfigResult r = load_config_file(file);
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].file, file.string());
    EXPECT_EQ(r.problems[0].line, 0);
    EXPECT_EQ(r.problems[0].key, "");
    EXPECT_EQ(r.problems[0].to_string(),
              file.string() + ": cannot read config file: No such file or directory");
}

TEST(ConfigFile, DirectoryIsOneProblem) {
    kiosk::test::TempDir dir;
    const ConfigResult r = load_config_file(dir.path());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_NE(r.problems[0].message.find("cannot read config file"), std::string::npos)
        << r.problems[0].message;
}

// ---- default data dir ---------------------------------------------------------------------------------

TEST(ConfigDataDir, DefaultRule) {
    EXPECT_EQ(default_data_dir_for(true, "/x/data", "/home/u"), fs::path("/var/lib/kiosk"));
    EXPECT_EQ(default_data_dir_for(false, "/x/data", "/home/u"), fs::path("/x/data/kiosk"));
    EXPECT_EQ(default_data_dir_for(false, nullptr, "/home/u"), fs::path("/home/u/.local/share/kiosk"));
    EXPECT_EQ(default_data_dir_for(false, "", "/home/u"), fs::path("/home/u/.local/share/kiosk"));
    EXPECT_EQ(default_data_dir_for(false, "relative", "/home/u"), fs::path("/home/u/.local/share/kiosk"));
}

TEST(ConfigDataDir, DefaultFollowsUserAndEnvironment) {
    if (::geteuid() == 0) {
        EXPECT_EQ(default_data_dir(), fs::path("/var/lib/kiosk"));
        return;
    }
    const char* old = std::getenv("XDG_DATA_HOME");
    const std::string saved = old ? old : "";
    ::setenv("XDG_DATA_HOME", "/tmp/xdg-test", 1);
    EXPECT_EQ(default_data_dir(), fs::path("/tmp/xdg-test/kiosk"));
    if (old)
        ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
    else
        ::unsetenv("XDG_DATA_HOME");
}

} // namespace

// ---- [payment] -----------------------------------------------------------------------------------------

namespace {

const std::string kHis = "[his]\nbase_url = \"https://his.bvdk-test.vn/fhir/R4\"\n"
                         "identifier_base = \"https://bvdk-test.vn/fhir/sid/\"\n"; // lines 17-19
// [payment] starts on line 20; its keys from line 21.
std::string with_payment(const std::string& keys) {
    return kBase + kHis + "[payment]\n" + keys;
}
const std::string kGoodPayment = "bin = \"970436\"\n"                           // 21
                                 "account = \"0071000123456\"\n"                // 22
                                 "account_name = \"BENH VIEN DA KHOA TEST\"\n"; // 23

} // namespace

TEST(ConfigPayment, NoTableOrAnEmptyBinIsPaymentOff) {
    const ConfigResult none = parse_config(kBase, "site.toml");
    ASSERT_TRUE(none.ok()) << all_problems(none);
    EXPECT_FALSE(none.config->payment.enabled());
    const ConfigResult empty = parse_config(kBase + "[payment]\nbin = \"\"\n", "site.toml");
    ASSERT_TRUE(empty.ok()) << all_problems(empty);
    EXPECT_FALSE(empty.config->payment.enabled());
}

TEST(ConfigPayment, AGoodAccountIsReadWithTheBanksNameFromTheNapasList) {
    const ConfigResult r =
        parse_config(with_payment(kGoodPayment + "code_valid_minutes = 5\n"
                                                 "bill_number_system = \"urn:oid:1.2.3\"\n"),
                     "site.toml");
    ASSERT_TRUE(r.ok()) << all_problems(r);
    const auto& p = r.config->payment;
    EXPECT_TRUE(p.enabled());
    EXPECT_EQ(p.account.bin, "970436");
    EXPECT_EQ(p.account.account, "0071000123456");
    EXPECT_EQ(p.account.account_name, "BENH VIEN DA KHOA TEST");
    EXPECT_EQ(p.account.bank_name, "Vietcombank");
    EXPECT_EQ(p.account.service, kiosk::core::vietqr::Service::ToAccount);
    EXPECT_EQ(p.code_valid_minutes, 5);
    EXPECT_EQ(p.bill_number_system, "urn:oid:1.2.3");
}

TEST(ConfigPayment, ABinTheNapasListDoesNotHaveIsRefusedWithWhereTheListIs) {
    const ConfigResult r = parse_config(
        with_payment("bin = \"970499\"\naccount = \"123\"\naccount_name = \"BENH VIEN\"\n"), "site.toml");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "payment.bin");
    EXPECT_EQ(r.problems[0].line, 21);
    EXPECT_NE(r.problems[0].message.find("not in the NAPAS member list (assets/payment/napas-banks.tsv)"),
              std::string::npos)
        << r.problems[0].to_string();
}

TEST(ConfigPayment, EveryBadKeyIsReportedAndPaymentStaysOff) {
    const ConfigResult r = parse_config(with_payment("bin = \"97043\"\n"            // 21
                                                     "account = \"0071 000 123\"\n" // 22
                                                     "to = \"wallet\"\n"            // 23
                                                     "code_valid_minutes = 90\n"),  // 24
                                        "site.toml");
    ASSERT_FALSE(r.ok());
    const std::string all = all_problems(r);
    EXPECT_NE(all.find("site.toml:21:7: payment.bin: must be the 6-digit NAPAS BIN"), std::string::npos)
        << all;
    EXPECT_NE(all.find("site.toml:22:11: payment.account: must be the account number"), std::string::npos)
        << all;
    EXPECT_NE(all.find("site.toml:23:6: payment.to: must be \"account\" or \"card\", got 'wallet'"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("payment.account_name: is required with bin"), std::string::npos) << all;
    EXPECT_NE(all.find("site.toml:24:22: payment.code_valid_minutes"), std::string::npos) << all;
}

TEST(ConfigPayment, ACardNumberIsSixteenToNineteenDigits) {
    const std::string card = "bin = \"970436\"\nto = \"card\"\naccount_name = \"BENH VIEN DA KHOA TEST\"\n";
    const ConfigResult good =
        parse_config(with_payment(card + "account = \"9704360012345678\"\n"), "site.toml");
    ASSERT_TRUE(good.ok()) << all_problems(good);
    EXPECT_EQ(good.config->payment.account.service, kiosk::core::vietqr::Service::ToCard);
    EXPECT_EQ(good.config->payment.account.account, "9704360012345678");
    const ConfigResult short_card =
        parse_config(with_payment(card + "account = \"0071000123456\"\n"), "site.toml");
    ASSERT_FALSE(short_card.ok());
    EXPECT_NE(all_problems(short_card).find("payment.account: must be the card number, 16 to 19 digits"),
              std::string::npos)
        << all_problems(short_card);
}

TEST(ConfigPayment, PaymentWithoutAHisIsRefused) {
    const ConfigResult r = parse_config(kBase + "[payment]\n" + kGoodPayment, "site.toml");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "payment.bin");
    EXPECT_NE(r.problems[0].message.find("payment needs the HIS"), std::string::npos)
        << r.problems[0].to_string();
}

TEST(ConfigPayment, KeysSetWhilePaymentIsOffAreReported) {
    const ConfigResult r = parse_config(kBase + "[payment]\naccount = \"123\"\n", "site.toml");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.problems.size(), 1u) << all_problems(r);
    EXPECT_EQ(r.problems[0].key, "payment.account");
    EXPECT_NE(r.problems[0].message.find("payment is off: set bin"), std::string::npos)
        << r.problems[0].to_string();
}

TEST(NapasBanks, TheEmbeddedListParsesWithoutProblemsAndKnowsTheBigBanks) {
    const auto& banks = kiosk::app::napas_banks();
    EXPECT_TRUE(banks.problems.empty())
        << banks.problems.front().line << ": " << banks.problems.front().message;
    EXPECT_GE(banks.banks.size(), 40u);
    for (const char* bin : {"970436", "970415", "970418", "970422", "970407", "546034"})
        EXPECT_NE(banks.find(bin), nullptr) << bin;
}
