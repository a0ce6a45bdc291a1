// PC/SC (pcsc-lite) readers, links and the reader monitor. Every SCard* call goes through a
// PcscApi table (pcsc_api.hpp: the real service, or a unit test's mock) and every return code
// through check_pcsc()/pcsc_error() (pcsc_error.cpp).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>

#include <PCSC/reader.h>
#include <PCSC/winscard.h>
#include <fmt/core.h>

#include "docketcard/transport/link.hpp"
#include "docketcard/transport/pcsc_api.hpp"
#include "docketcard/transport/pcsc_error.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/transport/trace.hpp"
#include "pcsc_internal.hpp"

namespace docketcard::transport {

namespace {

const char* const pnp_name = "\\\\?PnP?\\Notification";

// Largest response pcsc-lite can return (MAX_BUFFER_SIZE_EXTENDED).
constexpr std::size_t receive_buffer_size = 4 + 3 + 65536 + 2 + 2;

/// An SCARDCONTEXT, released on destruction.
class Context {
public:
    explicit Context(std::shared_ptr<const PcscApi> api) : api_(std::move(api)) {
        check_pcsc("connecting to the PC/SC service", api_->establish_context(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx_));
    }
    ~Context() { api_->release_context(ctx_); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    SCARDCONTEXT get() const noexcept { return ctx_; }
    const PcscApi& api() const noexcept { return *api_; }
    const std::shared_ptr<const PcscApi>& api_ptr() const noexcept { return api_; }

private:
    std::shared_ptr<const PcscApi> api_;
    SCARDCONTEXT ctx_ = 0;
};

std::vector<std::string> list_names(const Context& ctx) {
    DWORD len = 0;
    LONG rv = ctx.api().list_readers(ctx.get(), nullptr, nullptr, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
    check_pcsc("listing the PC/SC readers", rv);
    std::string buf(len, '\0');
    rv = ctx.api().list_readers(ctx.get(), nullptr, buf.data(), &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
    check_pcsc("listing the PC/SC readers", rv);
    std::vector<std::string> names;
    for (std::size_t p = 0; p < buf.size() && buf[p] != '\0';) {
        const std::size_t end = buf.find('\0', p);
        names.push_back(buf.substr(p, end - p));
        p = end + 1;
    }
    return names;
}

bool present(DWORD state) { return (state & SCARD_STATE_PRESENT) && !(state & SCARD_STATE_MUTE); }

ReaderState to_state(const SCARD_READERSTATE& s) {
    ReaderState r;
    r.name = s.szReader;
    r.card_present = present(s.dwEventState);
    r.in_use = (s.dwEventState & SCARD_STATE_EXCLUSIVE) != 0;
    if (r.card_present) r.atr.assign(s.rgbAtr, s.rgbAtr + std::min<DWORD>(s.cbAtr, sizeof s.rgbAtr));
    return r;
}

DWORD to_dword(std::optional<std::chrono::milliseconds> timeout) {
    if (!timeout) return INFINITE;
    return static_cast<DWORD>(std::clamp<long long>(timeout->count(), 0, 0x7FFFFFFF));
}

std::vector<ReaderState> current_states(const Context& ctx, const std::vector<std::string>& names) {
    if (names.empty()) return {};
    std::vector<SCARD_READERSTATE> states(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        states[i] = {};
        states[i].szReader = names[i].c_str();
        states[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
    check_pcsc("reading the state of the PC/SC readers",
               ctx.api().get_status_change(ctx.get(), 0, states.data(), static_cast<DWORD>(states.size())));
    std::vector<ReaderState> out;
    for (const auto& s : states) out.push_back(to_state(s));
    return out;
}

// The codes pcsc-lite answers SCardConnect / SCardBeginTransaction / SCardStatus with for a few
// hundred milliseconds after a card is inserted or swapped, while the reader still powers it up.
bool settling_code(LONG rv) {
    return rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_UNPOWERED_CARD || rv == SCARD_W_RESET_CARD ||
           rv == SCARD_W_REMOVED_CARD;
}

/// A connected handle inside a transaction, or the failed call and its code.
struct OpenAttempt {
    LONG rv = SCARD_S_SUCCESS;
    std::string operation;   ///< set when rv fails
    SCARDHANDLE handle = 0;
    DWORD protocol = 0;
    Bytes atr;
};

// SCardConnect + SCardBeginTransaction + SCardStatus (the ATR). Sends nothing to the card, so it
// can be tried again; on failure nothing stays connected.
OpenAttempt open_handle(const Context& ctx, const std::string& reader, const ConnectOptions& options) {
    const PcscApi& api = ctx.api();
    OpenAttempt a;
    DWORD protocols = SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
    if (options.protocol == ConnectOptions::Protocol::T1) protocols = SCARD_PROTOCOL_T1;
    if (options.protocol == ConnectOptions::Protocol::T0) protocols = SCARD_PROTOCOL_T0;
    const DWORD share = options.exclusive ? SCARD_SHARE_EXCLUSIVE : SCARD_SHARE_SHARED;
    a.rv = api.connect(ctx.get(), reader.c_str(), share, protocols, &a.handle, &a.protocol);
    if (a.rv != SCARD_S_SUCCESS) {
        a.operation = fmt::format("connecting to the card in reader '{}'", reader);
        return a;
    }
    a.rv = api.begin_transaction(a.handle);
    if (a.rv != SCARD_S_SUCCESS) {
        api.disconnect(a.handle, SCARD_LEAVE_CARD);
        a.operation = fmt::format("beginning a transaction with the card in reader '{}'", reader);
        return a;
    }
    char name[512];
    DWORD name_len = sizeof name, state = 0, proto = 0;
    BYTE atr[MAX_ATR_SIZE];
    DWORD atr_len = sizeof atr;
    a.rv = api.status(a.handle, name, &name_len, &state, &proto, atr, &atr_len);
    if (a.rv != SCARD_S_SUCCESS) {
        api.end_transaction(a.handle, SCARD_LEAVE_CARD);
        api.disconnect(a.handle, SCARD_LEAVE_CARD);
        a.operation = fmt::format("reading the status of the card in reader '{}'", reader);
        return a;
    }
    a.atr.assign(atr, atr + std::min<DWORD>(atr_len, sizeof atr));
    return a;
}

/// A connected card: the handle, inside a transaction for the whole life of the link. Nothing in
/// it is ever retried: once a command went to the card, a failure is reported as it came.
class PcscLink final : public ApduLink {
public:
    PcscLink(std::shared_ptr<Context> ctx, const std::string& reader, OpenAttempt opened)
        : ctx_(std::move(ctx)), reader_(reader), handle_(opened.handle), protocol_(opened.protocol),
          atr_(std::move(opened.atr)) {
        caps_ = probe_capabilities();
    }

    ~PcscLink() override {
        ctx_->api().end_transaction(handle_, SCARD_LEAVE_CARD);
        ctx_->api().disconnect(handle_, SCARD_LEAVE_CARD);
    }

    Bytes exchange(ByteView command) override {
        const SCARD_IO_REQUEST* pci = protocol_ == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        Bytes rx(receive_buffer_size);
        DWORD rx_len = static_cast<DWORD>(rx.size());
        const LONG rv = ctx_->api().transmit(handle_, pci, command.data(), static_cast<DWORD>(command.size()), nullptr,
                                             rx.data(), &rx_len);
        if (rv != SCARD_S_SUCCESS) {
            std::string what = "a command";
            try {
                what = command_name(apdu::CommandApdu::parse(command));
            } catch (const Error&) {
            }
            throw pcsc_error(fmt::format("sending {} to the card in reader '{}'", what, reader_), rv);
        }
        rx.resize(rx_len);
        return rx;
    }

    Capabilities capabilities() const override { return caps_; }
    Bytes atr() const override { return atr_; }
    std::string description() const override { return fmt::format("reader '{}'", reader_); }

private:
    // Reader side: the IFD's maximum message size (SCARD_ATTR_MAXINPUT, CCID dwMaxCCIDMessageLength,
    // which includes the 10-byte CCID header). vpcd answers SCARD_E_UNSUPPORTED_FEATURE (probed with
    // pcsc-lite 1.9.9 / vsmartcard-vpcd) but carries any length (a 1007-byte extended command went
    // through), so a "Virtual PCD" reader is taken as extended-capable. Any other reader that does not report
    // it gets short APDUs only.
    Capabilities probe_capabilities() const {
        Capabilities short_caps;
        if (protocol_ != SCARD_PROTOCOL_T1) return short_caps;
        AtrInfo info;
        try {
            info = parse_atr(atr_);
        } catch (const ParseError&) {
            return short_caps;
        }
        if (!info.extended_length) return short_caps;
        std::size_t reader_max_data = 0;
        BYTE buf[8] = {};
        DWORD len = sizeof buf;
        if (ctx_->api().get_attrib(handle_, SCARD_ATTR_MAXINPUT, buf, &len) == SCARD_S_SUCCESS && len >= 4) {
            std::uint32_t max_input = 0;
            std::memcpy(&max_input, buf, 4);  // little-endian DWORD as the IFD handler stores it
            const std::size_t overhead = 10 + 4 + 3 + 2;  // CCID header, APDU header, extended Lc, Le
            if (max_input > overhead + 255) reader_max_data = std::min<std::size_t>(max_input - overhead, 65535);
        } else if (reader_.find("Virtual PCD") != std::string::npos) {
            reader_max_data = 65535;
        }
        if (reader_max_data <= 255) return short_caps;
        Capabilities caps;
        caps.extended_length = true;
        caps.max_command_data = reader_max_data;
        caps.max_response_data = std::min<std::size_t>(reader_max_data + 1, 65536);
        return caps;
    }

    std::shared_ptr<Context> ctx_;
    std::string reader_;
    SCARDHANDLE handle_ = 0;
    DWORD protocol_ = 0;
    Bytes atr_;
    Capabilities caps_;
};

constexpr std::chrono::milliseconds settle_step{100};

class PcscReader final : public Reader {
public:
    PcscReader(std::shared_ptr<Context> ctx, std::string name) : ctx_(std::move(ctx)), name_(std::move(name)) {}

    std::string name() const override { return name_; }

    ReaderState state() override {
        auto states = current_states(*ctx_, {name_});
        return states.front();
    }

    WaitResult wait_for_card(std::optional<std::chrono::milliseconds> timeout) override { return wait(true, timeout); }
    WaitResult wait_for_removal(std::optional<std::chrono::milliseconds> timeout) override { return wait(false, timeout); }

    // The first connection to a card just inserted or swapped may meet the reader's settling
    // window (settling_code()): try again every 100 ms for at most options.settle_time, each
    // attempt in the trace, and only then report the error. Nothing is sent to the card before
    // the link exists, so these attempts never repeat a command.
    std::unique_ptr<CardChannel> connect(const ConnectOptions& options) override {
        const auto start = std::chrono::steady_clock::now();
        const auto elapsed = [&] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        };
        for (int attempt = 1;; ++attempt) {
            OpenAttempt a = open_handle(*ctx_, name_, options);
            if (a.rv == SCARD_S_SUCCESS) {
                if (attempt > 1 && options.trace) {
                    options.trace(fmt::format("connect: reader '{}' connected on attempt {} after {} ms", name_,
                                              attempt, elapsed().count()));
                }
                return std::make_unique<LinkChannel>(std::make_unique<PcscLink>(ctx_, name_, std::move(a)));
            }
            if (!settling_code(a.rv) || elapsed() + settle_step > options.settle_time) {
                if (attempt > 1 && options.trace) {
                    options.trace(fmt::format("connect: attempt {} to reader '{}' failed: {}; giving up after {} ms",
                                              attempt, name_, pcsc_code_info(a.rv).name, elapsed().count()));
                }
                throw pcsc_error(a.operation, a.rv);
            }
            if (options.trace) {
                options.trace(fmt::format("connect: attempt {} to reader '{}' failed: {}; trying again in {} ms",
                                          attempt, name_, pcsc_code_info(a.rv).name, settle_step.count()));
            }
            std::this_thread::sleep_for(settle_step);
        }
    }

    void cancel() override { ctx_->api().cancel(ctx_->get()); }

private:
    WaitResult wait(bool want_card, std::optional<std::chrono::milliseconds> timeout) {
        SCARD_READERSTATE s{};
        s.szReader = name_.c_str();
        s.dwCurrentState = SCARD_STATE_UNAWARE;
        const std::string op = fmt::format("waiting for a card {} reader '{}'", want_card ? "in" : "to leave", name_);
        check_pcsc(op, ctx_->api().get_status_change(ctx_->get(), 0, &s, 1));
        const auto deadline = timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
        while (true) {
            if (s.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) {
                throw pcsc_error(op, SCARD_E_READER_UNAVAILABLE);
            }
            if (present(s.dwEventState) == want_card) return WaitResult::Ready;
            s.dwCurrentState = s.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
            std::optional<std::chrono::milliseconds> left;
            if (deadline) {
                left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
                if (left->count() <= 0) return WaitResult::Timeout;
            }
            const LONG rv = ctx_->api().get_status_change(ctx_->get(), to_dword(left), &s, 1);
            if (rv == SCARD_E_TIMEOUT) return WaitResult::Timeout;
            if (rv == SCARD_E_CANCELLED) return WaitResult::Cancelled;
            check_pcsc(op, rv);
        }
    }

    std::shared_ptr<Context> ctx_;
    std::string name_;
};

// The USB port path ("1-1.2") of the device at bus/address, from sysfs: stable while the reader
// stays in the same port, unlike its address or the reader's index.
std::string usb_port_path(unsigned bus, unsigned address) {
    std::error_code ec;
    for (const auto& dev : std::filesystem::directory_iterator("/sys/bus/usb/devices", ec)) {
        const std::string name = dev.path().filename().string();
        if (name.find(':') != std::string::npos) continue;  // an interface, not a device
        unsigned b = 0, a = 0;
        std::ifstream busnum(dev.path() / "busnum"), devnum(dev.path() / "devnum");
        if ((busnum >> b) && (devnum >> a) && b == bus && a == address) return name;
    }
    return {};
}

std::string reader_identity(const PcscApi& api, SCARDCONTEXT ctx, const std::string& reader) {
    SCARDHANDLE h = 0;
    DWORD proto = 0;
    if (api.connect(ctx, reader.c_str(), SCARD_SHARE_DIRECT, 0, &h, &proto) != SCARD_S_SUCCESS) return {};
    std::string identity;
    BYTE buf[256] = {};
    DWORD len = sizeof buf;
    if (api.get_attrib(h, SCARD_ATTR_VENDOR_IFD_SERIAL_NO, buf, &len) == SCARD_S_SUCCESS) {
        for (DWORD i = 0; i < std::min<DWORD>(len, sizeof buf) && buf[i] != 0; ++i) {
            if (buf[i] > 0x20 && buf[i] < 0x7F) identity += static_cast<char>(buf[i]);
        }
    }
    if (identity.empty()) {
        // SCARD_ATTR_CHANNEL_ID: 0xDDDDCCCC, DDDD = 0x0020 for USB, CCCC = bus << 8 | address
        // (PC/SC part 3, as the CCID driver fills it).
        len = sizeof buf;
        if (api.get_attrib(h, SCARD_ATTR_CHANNEL_ID, buf, &len) == SCARD_S_SUCCESS && len >= 4) {
            std::uint32_t id = 0;
            std::memcpy(&id, buf, 4);
            if ((id >> 16) == 0x0020) {
                const std::string path = usb_port_path((id >> 8) & 0xFF, id & 0xFF);
                if (!path.empty()) identity = "usb:" + path;
            }
        }
    }
    api.disconnect(h, SCARD_LEAVE_CARD);
    return identity;
}

}  // namespace

std::shared_ptr<const PcscApi> system_pcsc() {
    static const auto api = [] {
        auto a = std::make_shared<PcscApi>();
        a->establish_context = SCardEstablishContext;
        a->release_context = SCardReleaseContext;
        a->list_readers = SCardListReaders;
        a->get_status_change = SCardGetStatusChange;
        a->connect = SCardConnect;
        a->disconnect = SCardDisconnect;
        a->begin_transaction = SCardBeginTransaction;
        a->end_transaction = SCardEndTransaction;
        a->status = SCardStatus;
        a->transmit = SCardTransmit;
        a->get_attrib = SCardGetAttrib;
        a->cancel = SCardCancel;
        return std::shared_ptr<const PcscApi>(std::move(a));
    }();
    return api;
}

std::unique_ptr<Reader> open_pcsc_reader(std::shared_ptr<const PcscApi> api, const std::string& choice) {
    auto ctx = std::make_shared<Context>(std::move(api));
    const auto names = list_names(*ctx);
    std::vector<std::string> identities;
    if (choice.rfind("serial:", 0) == 0) {
        for (const auto& n : names) identities.push_back(reader_identity(ctx->api(), ctx->get(), n));
    }
    std::string name = select_reader(names, choice, identities);
    return std::make_unique<PcscReader>(std::move(ctx), std::move(name));
}

std::vector<ReaderState> list_pcsc_readers(std::shared_ptr<const PcscApi> api) {
    Context ctx(std::move(api));
    auto states = current_states(ctx, list_names(ctx));
    for (auto& s : states) s.identity = reader_identity(ctx.api(), ctx.get(), s.name);
    return states;
}

namespace detail {

std::unique_ptr<Reader> open_pcsc_reader(const std::string& choice) {
    return transport::open_pcsc_reader(system_pcsc(), choice);
}

}  // namespace detail

std::vector<ReaderState> list_readers() { return list_pcsc_readers(system_pcsc()); }

struct ReaderMonitor::Impl {
    Context ctx{system_pcsc()};
    std::vector<std::string> names;
    std::map<std::string, DWORD> known;   // last event state per reader
    std::vector<ReaderState> first;
    DWORD pnp_state = 0;
};

ReaderMonitor::ReaderMonitor() : impl_(std::make_unique<Impl>()) {
    impl_->names = list_names(impl_->ctx);
    impl_->first = current_states(impl_->ctx, impl_->names);
    for (std::size_t i = 0; i < impl_->names.size(); ++i) {
        impl_->known[impl_->names[i]] = impl_->first[i].card_present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
    }
    impl_->pnp_state = static_cast<DWORD>(impl_->names.size() << 16);
}

ReaderMonitor::~ReaderMonitor() = default;

std::vector<ReaderState> ReaderMonitor::initial() const { return impl_->first; }

void ReaderMonitor::cancel() { impl_->ctx.api().cancel(impl_->ctx.get()); }

std::optional<std::vector<ReaderEvent>> ReaderMonitor::wait(std::optional<std::chrono::milliseconds> timeout) {
    Impl& m = *impl_;
    // A plain time point and a flag rather than an optional: GCC 12 warns (-Wmaybe-uninitialized)
    // on reading an optional time point engaged on one branch only.
    const bool has_deadline = timeout.has_value();
    const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
    while (true) {
        std::vector<SCARD_READERSTATE> states(m.names.size() + 1);
        for (std::size_t i = 0; i < m.names.size(); ++i) {
            states[i] = {};
            states[i].szReader = m.names[i].c_str();
            states[i].dwCurrentState = m.known[m.names[i]];
        }
        states.back() = {};
        states.back().szReader = pnp_name;
        states.back().dwCurrentState = m.pnp_state;

        std::optional<std::chrono::milliseconds> left;
        if (has_deadline) {
            left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left->count() < 0) left = std::chrono::milliseconds(0);
        }
        const LONG rv = m.ctx.api().get_status_change(m.ctx.get(), to_dword(left), states.data(), static_cast<DWORD>(states.size()));
        if (rv == SCARD_E_CANCELLED) return std::nullopt;
        if (rv == SCARD_E_TIMEOUT) return std::vector<ReaderEvent>{};
        check_pcsc("watching the PC/SC readers", rv);

        std::vector<ReaderEvent> events;
        for (std::size_t i = 0; i < m.names.size(); ++i) {
            const SCARD_READERSTATE& s = states[i];
            if (s.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE)) continue;  // handled by relist
            const bool was = present(m.known[m.names[i]]);
            const bool is = present(s.dwEventState);
            if (is && !was) events.push_back({ReaderEvent::Kind::CardInserted, m.names[i], to_state(s).atr});
            if (!is && was) events.push_back({ReaderEvent::Kind::CardRemoved, m.names[i], {}});
            m.known[m.names[i]] = s.dwEventState & ~static_cast<DWORD>(SCARD_STATE_CHANGED);
        }

        // Readers coming and going: compare the list after every wakeup.
        const std::vector<std::string> now = list_names(m.ctx);
        for (const auto& old : m.names) {
            if (std::find(now.begin(), now.end(), old) == now.end()) {
                if (present(m.known[old])) events.push_back({ReaderEvent::Kind::CardRemoved, old, {}});
                events.push_back({ReaderEvent::Kind::ReaderRemoved, old, {}});
                m.known.erase(old);
            }
        }
        std::vector<std::string> added;
        for (const auto& n : now) {
            if (std::find(m.names.begin(), m.names.end(), n) == m.names.end()) added.push_back(n);
        }
        if (!added.empty()) {
            const auto st = current_states(m.ctx, added);
            for (const auto& r : st) {
                events.push_back({ReaderEvent::Kind::ReaderAdded, r.name, {}});
                if (r.card_present) events.push_back({ReaderEvent::Kind::CardInserted, r.name, r.atr});
                m.known[r.name] = r.card_present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
            }
        }
        const bool list_changed = now != m.names;
        m.names = now;
        // Keep the PnP entry in step with what pcsc-lite reports (reader count in the high word),
        // so that the next wait blocks.
        const DWORD pnp_event = states.back().dwEventState;
        m.pnp_state = (!list_changed && (pnp_event & 0xFFFF0000)) ? (pnp_event & 0xFFFF0000)
                                                                  : static_cast<DWORD>(now.size() << 16);
        if (!events.empty()) return events;
        if (has_deadline && std::chrono::steady_clock::now() >= deadline) return events;
    }
}

}  // namespace docketcard::transport
