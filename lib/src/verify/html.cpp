// The QA report page. Self-contained on purpose: it is archived and mailed, so it may not depend
// on any file or network resource; every piece of card or record text goes through html_escape.

#include <ctime>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include <fmt/core.h>

#include "docketcard/verify/verify.hpp"

namespace docketcard::verify {

namespace {

std::string base64(ByteView data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string utc(std::time_t t) {
    char buf[40];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font-family:"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b1f24;background:#f3f4f6;font-size:15px}
.verdict{padding:22px 32px;color:#fff}
.verdict.ok{background:#1a7f37}
.verdict.fail{background:#c62828}
.verdict .big{font-size:46px;font-weight:800;letter-spacing:2px}
.verdict .sub{font-size:16px;margin-top:6px;opacity:.95}
.verdict .failed{margin:8px 0 0;padding-left:20px;font-size:15px;font-weight:400}
main{padding:20px 32px;max-width:1200px}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:18px 22px;margin-bottom:18px}
h2{margin:0 0 12px;font-size:19px}
.holder{display:flex;gap:28px;align-items:flex-start}
.photo{flex:0 0 auto;text-align:center}
.photo img{display:block;max-width:240px;max-height:320px;border:1px solid #8c959f;border-radius:4px}
.photo .none{width:200px;height:250px;display:flex;align-items:center;justify-content:center;border:2px dashed #8c959f;
  border-radius:4px;color:#57606a;padding:12px;text-align:center}
.photo .caption{font-size:13px;color:#57606a;margin-top:6px;max-width:240px}
.data{flex:1 1 auto;min-width:0}
.mrz{font-family:"OCR-B","DejaVu Sans Mono","Courier New",monospace;font-size:17px;background:#f6f8fa;border:1px solid #d0d7de;
  border-radius:4px;padding:10px 14px;margin:0 0 14px;line-height:1.45;white-space:pre;overflow-x:auto}
table{border-collapse:collapse;width:100%}
.fields th{text-align:left;font-weight:600;color:#57606a;padding:4px 16px 4px 0;width:34%;vertical-align:top}
.fields td{padding:4px 0;vertical-align:top;word-break:break-word}
.checks td{padding:8px 10px;border-top:1px solid #eaeef2;vertical-align:top}
.checks tr.fail td{background:#fff1f0}
.checks .id{font-family:"DejaVu Sans Mono","Courier New",monospace;font-size:12px;color:#57606a}
.checks .detail{word-break:break-word}
.badge{display:inline-block;min-width:54px;text-align:center;padding:3px 8px;border-radius:4px;font-weight:700;color:#fff;font-size:13px}
.badge.pass{background:#1a7f37}
.badge.fail{background:#c62828}
.badge.na{background:#6e7781}
footer{color:#57606a;font-size:13px;padding:0 32px 24px}
)css";

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string render_html(const Result& result) {
    const bool ok = result.ok();
    std::size_t passed = 0, not_applicable = 0;
    std::vector<const Check*> failed;
    for (const auto& c : result.checks) {
        if (!c.applicable) ++not_applicable;
        else if (c.passed) ++passed;
        else failed.push_back(&c);
    }
    const std::string verdict = ok ? "VERIFIED" : "NOT VERIFIED";
    const std::string serial = result.serial_hex.empty() ? "unknown" : result.serial_hex;
    std::string name = result.full_name;
    for (std::size_t at; (at = name.find("<<")) != std::string::npos;) name.replace(at, 2, ", ");

    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += fmt::format("<title>{} - card {} - docketcard verify</title>\n", verdict, html_escape(serial));
    h += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);

    h += fmt::format("<header class=\"verdict {}\">\n<div class=\"big\">{}</div>\n", ok ? "ok" : "fail", verdict);
    h += fmt::format("<div class=\"sub\">{}Card serial <b>{}</b> &middot; checked at {}{} &middot; {} of {} checks passed{}</div>\n",
                     name.empty() ? "" : "<b>" + html_escape(name) + "</b> &middot; ", html_escape(serial),
                     utc(result.verified_at),
                     result.access_control.empty() ? "" : " &middot; opened with " + html_escape(result.access_control),
                     passed, result.checks.size(),
                     not_applicable ? fmt::format(", {} not applicable", not_applicable) : "");
    if (!failed.empty()) {
        // What failed, for people: the check's name and its reason (the ids are in the table below).
        h += "<ul class=\"failed\">\n";
        for (const Check* c : failed)
            h += fmt::format("<li><b>{}</b>: {}</li>\n", html_escape(c->title), html_escape(c->detail));
        h += "</ul>\n";
    }
    h += "</header>\n<main>\n";

    // Photo beside the holder data.
    h += "<section class=\"holder\">\n<div class=\"photo\">\n";
    if (result.photo.empty()) {
        h += "<div class=\"none\">No photo could be read from the chip (DG2)</div>\n";
    } else if (result.photo_mime == "image/jpeg") {
        h += fmt::format("<img src=\"data:image/jpeg;base64,{}\" alt=\"Face image from the chip (DG2)\">\n",
                         base64(result.photo));
        h += fmt::format("<div class=\"caption\">Chip photo (DG2): JPEG, {} &times; {} pixels, {} bytes</div>\n",
                         result.photo_width, result.photo_height, result.photo.size());
    } else {
        h += fmt::format("<div class=\"none\">The chip holds a JPEG 2000 photo (DG2): {} &times; {} pixels, {} bytes."
                         "<br>Browsers may not display JPEG 2000, so it is not shown here.</div>\n",
                         result.photo_width, result.photo_height, result.photo.size());
        h += fmt::format("<div class=\"caption\"><a download=\"photo.jp2\" href=\"data:image/jp2;base64,{}\">Download "
                         "the photo (photo.jp2)</a> and open it in an image viewer</div>\n",
                         base64(result.photo));
    }
    h += "</div>\n<div class=\"data\">\n<h2>Holder data from the chip</h2>\n";
    if (!result.mrz.empty()) {
        std::string lines;
        for (std::size_t at = 0; at < result.mrz.size(); at += 30)
            lines += (at ? "\n" : "") + result.mrz.substr(at, 30);
        h += fmt::format("<div class=\"mrz\" title=\"MRZ (DG1)\">{}</div>\n", html_escape(lines));
    }
    h += "<table class=\"fields\">\n";
    for (const auto& [label, value] : result.holder)
        h += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", html_escape(label), html_escape(value));
    if (result.holder.empty()) h += "<tr><td>No holder data could be read from the chip.</td></tr>\n";
    h += "</table>\n</div>\n</section>\n";

    // Checks.
    h += "<section>\n<h2>Checks</h2>\n<table class=\"checks\">\n";
    for (const auto& c : result.checks) {
        h += fmt::format(
            "<tr class=\"{0}\"><td><span class=\"badge {0}\">{1}</span></td><td><b>{2}</b><div class=\"id\">{3}</div></td>"
            "<td class=\"detail\">{4}</td></tr>\n",
            std::string(!c.applicable ? "na" : c.passed ? "pass" : "fail"), !c.applicable ? "N/A" : c.passed ? "PASS" : "FAIL",
            html_escape(c.title), html_escape(c.id),
            html_escape(c.detail));
    }
    h += "</table>\n</section>\n</main>\n";
    h += fmt::format("<footer>docketcard verify &middot; card read through {} &middot; ICAO Doc 9303 BAC, passive "
                     "and active authentication</footer>\n</body>\n</html>\n",
                     html_escape(result.card_description));
    return h;
}

}  // namespace docketcard::verify
