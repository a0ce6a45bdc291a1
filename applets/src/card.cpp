#include "docketcard/applet/card.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "applet.hpp"
#include "card_file.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/util/error.hpp"
#include "card_random.hpp"
#include "state.hpp"

namespace docketcard::applet {

namespace {

using detail::PersistentState;

// ISO/IEC 7816-3 8.2: TS 3B (direct), T0 8x (TD1, x historical bytes), TD1 81 (TD2, T=1),
// TD2 31 (TA3, TB3, T=1), TA3 FE (IFSC 254), TB3 45 (BWI 4, CWI 5), historical bytes, TCK.
// Historical bytes (ISO/IEC 7816-4 8.1.1): 80 = compact-TLV; 73 = card capabilities, 3 bytes:
// 80 (DF selection by full DF name), 21 (data coding), C0 (third software function table:
// command chaining 80, extended Lc and Le fields 40).
Bytes make_atr() {
    const Bytes historical{0x80, 0x73, 0x80, 0x21, 0xC0};
    // Sized first: g++ 12 -O2 warns (-Warray-bounds, a false positive) about appending to a vector
    // built from an initializer list.
    Bytes atr(6 + historical.size());
    const std::uint8_t fixed[] = {0x3B, static_cast<std::uint8_t>(0x80 | historical.size()), 0x81, 0x31, 0xFE, 0x45};
    std::copy(std::begin(fixed), std::end(fixed), atr.begin());
    std::copy(historical.begin(), historical.end(), atr.begin() + 6);
    std::uint8_t tck = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) tck ^= atr[i];
    atr.push_back(tck);
    return atr;
}

PersistentState blank_card(const CardOptions& o, detail::CardRandom& random) {
    PersistentState s;
    if (o.test.serial) {
        if (o.test.serial->size() != 10) throw Error(ErrorKind::Internal, "test serial must be 10 bytes");
        s.serial = *o.test.serial;
    } else {
        const SecureBytes r = random.bytes(10);
        s.serial.assign(r.begin(), r.end());
    }
    if (o.test.static_keys) {
        s.kvn = o.test.static_keys->kvn;
        s.k_enc = o.test.static_keys->enc;
        s.k_mac = o.test.static_keys->mac;
        s.k_dek = o.test.static_keys->dek;
    } else {
        s.kvn = o.factory.kvn;
        s.k_enc = crypto::diversify_kdf3(view(o.factory.master_enc), 1, s.serial);
        s.k_mac = crypto::diversify_kdf3(view(o.factory.master_mac), 2, s.serial);
        s.k_dek = crypto::diversify_kdf3(view(o.factory.master_dek), 3, s.serial);
    }
    s.sequence_counter = o.test.sequence_counter.value_or(0) & 0xFFFFFF;
    s.state = detail::Lifecycle::Blank;
    return s;
}

class EmulatedCard final : public Card {
public:
    EmulatedCard(CardOptions options, std::unique_ptr<detail::CardFile> file)
        : options_(std::move(options)), file_(std::move(file)), random_(options_.random_seed),
          applet_(random_, options_.test) {
        std::optional<SecureBytes> image;
        if (file_) image = file_->read();
        if (image) {
            state_ = detail::deserialize(view(*image), file_->path().string());
            committed_ = std::move(*image);
        } else {
            state_ = blank_card(options_, random_);
            committed_ = detail::serialize(state_);
            if (file_) file_->write(view(committed_));
        }
    }

    Bytes atr() const override { return make_atr(); }

    void reset() override {
        if (torn_) throw CardTorn();
        applet_.reset();
    }

    Bytes process(ByteView command) override {
        if (torn_ || (options_.tear_after && processed_ >= *options_.tear_after)) tear();
        ++processed_;
        const bool last = options_.tear_after && processed_ >= *options_.tear_after;
        PersistentState work = state_;
        last_regions_.clear();
        Bytes response;
        try {
            response = applet_.process(command, work);
        } catch (const std::exception&) {
            // An internal failure changes nothing persistent (the working copy is dropped).
            applet_.reset();
            response = {0x6F, 0x00};
            if (last) tear();
            return response;
        }
        if (last && options_.tear_mode == TearMode::Lost) tear();
        SecureBytes image = detail::serialize(work);
        if (image != committed_) {
            try {
                if (file_) file_->write(view(image));
            } catch (const Error&) {
                applet_.reset();
                return {0x65, 0x81};  // memory failure, nothing applied
            }
            committed_ = std::move(image);
            last_regions_ = detail::changed_regions(state_, work);
            state_ = std::move(work);
        }
        if (last) tear();
        return response;
    }

    std::string serial_hex() const override { return to_hex(state_.serial); }
    std::uint64_t commands_processed() const override { return processed_; }
    std::size_t pages_written_by_last_command(std::size_t page_size) const override {
        return detail::pages_touched(last_regions_, page_size);
    }
    void queue_random(ByteView bytes) override { random_.queue(bytes); }

private:
    [[noreturn]] void tear() {
        torn_ = true;
        applet_.reset();
        throw CardTorn();
    }

    CardOptions options_;
    std::unique_ptr<detail::CardFile> file_;
    detail::CardRandom random_;
    detail::DocketApplet applet_;
    PersistentState state_;
    SecureBytes committed_;
    std::vector<detail::NvmRange> last_regions_;  ///< what the last command changed
    std::uint64_t processed_ = 0;
    bool torn_ = false;
};

}  // namespace

FactoryKeys FactoryKeys::sample() {
    FactoryKeys k;
    k.kvn = 0x30;
    k.master_enc = secure_from_hex("7124F7D7777924AA0DE548FB63F5DBB117DF31AFB9F386C5D6CB82DFFD1AC3E6");
    k.master_mac = secure_from_hex("2C14B86AE2ACD2A5F2B67D38E513F7C133733B223399688A72D1F220B7BF43E2");
    k.master_dek = secure_from_hex("A4D93042BF156BAC97F613D2B63BBFD02F452744DF8FE9D1397D5DBC05E3BA13");
    return k;
}

FactoryKeys FactoryKeys::from_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("cannot read the SCP03 master key file {}", file.string()));
    FactoryKeys k;
    bool kvn = false;
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos) {
            throw Error(ErrorKind::InvalidInput, fmt::format("{}:{}: expected name=value", file.string(), lineno));
        }
        auto trim = [](std::string s) {
            const auto b = s.find_first_not_of(" \t\r");
            const auto e = s.find_last_not_of(" \t\r");
            return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
        };
        const std::string name = trim(line.substr(0, eq));
        const std::string value = trim(line.substr(eq + 1));
        try {
            if (name == "kvn") {
                const Bytes v = from_hex(value);
                if (v.size() != 1) throw Error(ErrorKind::InvalidInput, "kvn must be one byte");
                k.kvn = v[0];
                kvn = true;
            } else if (name == "enc" || name == "mac" || name == "dek") {
                SecureBytes v = secure_from_hex(value);
                if (v.size() != 16 && v.size() != 24 && v.size() != 32) {
                    throw Error(ErrorKind::InvalidInput, "an AES key must be 16, 24 or 32 bytes");
                }
                (name == "enc" ? k.master_enc : name == "mac" ? k.master_mac : k.master_dek) = std::move(v);
            } else {
                throw Error(ErrorKind::InvalidInput, fmt::format("unknown name '{}'", name));
            }
        } catch (const Error& e) {
            throw Error(ErrorKind::InvalidInput, fmt::format("{}:{}: {}", file.string(), lineno, e.what()));
        }
    }
    if (!kvn || k.master_enc.empty() || k.master_mac.empty() || k.master_dek.empty()) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: kvn, enc, mac and dek are all required", file.string()));
    }
    return k;
}

std::unique_ptr<Card> Card::open(const std::filesystem::path& file, CardOptions options) {
    auto f = std::make_unique<detail::CardFile>(file);
    return std::make_unique<EmulatedCard>(std::move(options), std::move(f));
}

std::unique_ptr<Card> Card::in_memory(CardOptions options) {
    return std::make_unique<EmulatedCard>(std::move(options), nullptr);
}

}  // namespace docketcard::applet
