// docketcard-sim: the emulated Secure Docket Card as a virtual card behind a vpcd reader slot,
// so that real pcscd clients see it (docs/sim.md). The card is the TCP client of vpcd; each
// message is a 2-byte big-endian length and a payload: one control byte (00 off, 01 on, 02 reset,
// 04 get ATR) or a command APDU.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "docketcard/apdu/link_model.hpp"
#include "docketcard/applet/card.hpp"
#include "docketcard/util/error.hpp"

namespace {

using namespace docketcard;

// Exit codes (docs/sim.md).
constexpr int kExitOk = 0;         // stopped by SIGTERM/SIGINT
constexpr int kExitFailure = 1;    // unexpected error
constexpr int kExitUsage = 2;      // bad command line
constexpr int kExitTorn = 3;       // --tear-after reached: the card was pulled
constexpr int kExitCardFile = 4;   // card file corrupt, locked by another process, or bad key file

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop = true; }

// With a link model, every command is accounted in `account` (and, with `delay`, its answer held
// back for the projected time, as a physical card would).
struct LinkSetting {
    std::optional<apdu::LinkProfile> profile;
    bool delay = false;
};

struct Options {
    std::string vpcd = "127.0.0.1:35963";
    std::string card_file;
    std::optional<std::uint64_t> tear_after;
    std::string tear_mode = "applied";
    std::string keys_dir;
    bool verbose = false;
    bool echo = false;
    LinkSetting link;
    /// Flip one bit of DO'8E in the answer to this READ BINARY under secure messaging (counted
    /// from 1 over the life of the process), once: a response MAC that does not verify.
    std::optional<std::uint64_t> corrupt_read_mac;
};

// A fault for tests of the terminal's recovery (docs/cli.md, verify): the last byte of DO'8E
// (8E 08 MAC, just before SW1 SW2, Doc 9303 Part 11 9.8.5) of the answer to the N-th protected
// READ BINARY is inverted in its lowest bit.
struct MacFault {
    std::optional<std::uint64_t> nth;
    std::uint64_t reads = 0;

    void apply(const Bytes& command, Bytes& response) {
        if (!nth || command.size() < 4 || (command[0] & 0x0C) != 0x0C || (command[1] != 0xB0 && command[1] != 0xB1)) return;
        if (++reads != *nth || response.size() < 12 || response[response.size() - 12] != 0x8E) return;
        response[response.size() - 3] ^= 0x01;
    }
};

// The answer of --echo mode to a command APDU: as many zero bytes as P1-P2 says, then 9000. No
// card logic at all: bench/card_bench.sh replays a write's command and response sizes against it
// to measure what the transport (pcscd, vpcd, the sockets) costs by itself.
Bytes echo_answer(ByteView command) {
    const std::size_t n = command.size() >= 4 ? static_cast<std::size_t>((command[2] << 8) | command[3]) : 0;
    Bytes resp(n, 0x00);
    resp.push_back(0x90);
    resp.push_back(0x00);
    return resp;
}

// Waits until `fd` is readable, or the stop flag is set; false on stop.
bool wait_readable(int fd) {
    while (!g_stop) {
        pollfd p{fd, POLLIN, 0};
        const int rc = ::poll(&p, 1, 200);
        if (rc > 0) return true;
        if (rc < 0 && errno != EINTR) return false;
    }
    return false;
}

// Whether to ask for an immediate ACK after every receive (on unless --no-quickack, which only
// the latency benchmark uses to show the difference).
bool g_quickack = true;

// Re-arms TCP_QUICKACK. The vpcd driver writes each message as two segments (the 2-byte length,
// then the payload) and waits for the first to be acknowledged before Nagle lets the second go;
// with Linux's delayed ACK the card acknowledges only after ~40 ms, so every command through
// pcscd cost ~48 ms instead of ~0.3 ms. The kernel clears TCP_QUICKACK by itself (tcp(7): "not
// permanent"), hence after every receive rather than once.
void quickack(int fd) {
    if (!g_quickack) return;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

// Reads exactly n bytes; false when the peer closed or on stop.
bool read_exact(int fd, std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        if (!wait_readable(fd)) return false;
        const ssize_t r = ::recv(fd, out + done, n - done, 0);
        if (r == 0) return false;
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        quickack(fd);
        done += static_cast<std::size_t>(r);
    }
    return true;
}

bool send_message(int fd, ByteView payload) {
    Bytes msg;
    put_u16(msg, static_cast<std::uint16_t>(payload.size()));
    append(msg, payload);
    std::size_t done = 0;
    while (done < msg.size()) {
        const ssize_t r = ::send(fd, msg.data() + done, msg.size() - done, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<std::size_t>(r);
    }
    return true;
}

int connect_once(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
    int fd = -1;
    for (addrinfo* a = res; a; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        quickack(fd);
    }
    return fd;
}

// What -v may show of a command: secrets (PUT DATA 62 in any form) and everything inside SCP03
// are reduced to their header and length.
std::string describe_command(ByteView apdu) {
    if (apdu.size() < 4) return to_hex(apdu);
    const std::uint8_t cla = apdu[0], ins = apdu[1], p2 = apdu[3];
    const bool scp = (cla & ~0x10) == 0x84;
    const bool bac_secret = ins == 0xDA && p2 == 0x62;
    if (scp || bac_secret) {
        return fmt::format("{} [{} bytes after the header, not shown]", to_hex(apdu.first(4)), apdu.size() - 4);
    }
    return to_hex(apdu);
}

std::string describe_response(ByteView command, ByteView resp) {
    const bool scp = command.size() >= 1 && (command[0] & ~0x10) == 0x84;
    if (scp && resp.size() > 2) {
        return fmt::format("[{} data bytes, not shown] {}", resp.size() - 2, to_hex(resp.last(2)));
    }
    return to_hex(resp);
}

// Serves one vpcd connection; returns an exit code, or nullopt when vpcd went away (reconnect).
std::optional<int> serve(int fd, applet::Card& card, bool verbose, bool echo, const LinkSetting& link,
                         apdu::LinkAccount& account, MacFault& fault) {
    for (;;) {
        std::uint8_t len_b[2];
        if (!read_exact(fd, len_b, 2)) return g_stop ? std::optional<int>(kExitOk) : std::nullopt;
        const std::size_t len = static_cast<std::size_t>((len_b[0] << 8) | len_b[1]);
        Bytes payload(len);
        if (len > 0 && !read_exact(fd, payload.data(), len)) return g_stop ? std::optional<int>(kExitOk) : std::nullopt;
        if (len == 1) {
            switch (payload[0]) {
                case 0x00:
                case 0x01:
                case 0x02:
                    if (verbose) std::cerr << fmt::format("sim: {}\n", payload[0] == 0 ? "power off" : payload[0] == 1 ? "power on" : "reset");
                    try {
                        card.reset();
                    } catch (const applet::CardTorn&) {
                        return kExitTorn;
                    }
                    break;
                case 0x04: {
                    const Bytes atr = card.atr();
                    if (verbose) std::cerr << "sim: ATR " << to_hex(atr) << "\n";
                    if (!send_message(fd, atr)) return std::nullopt;
                    break;
                }
                default:
                    if (verbose) std::cerr << fmt::format("sim: unknown control byte {:02X} ignored\n", payload[0]);
                    break;
            }
            continue;
        }
        if (verbose) std::cerr << "sim: > " << describe_command(payload) << "\n";
        Bytes resp;
        try {
            resp = echo ? echo_answer(payload) : card.process(payload);
        } catch (const applet::CardTorn&) {
            if (verbose) std::cerr << "sim: card torn after " << card.commands_processed() << " command(s)\n";
            return kExitTorn;
        }
        fault.apply(payload, resp);
        if (verbose) std::cerr << "sim: < " << describe_response(payload, resp) << "\n";
        if (link.profile) {
            const std::size_t pages = card.pages_written_by_last_command(link.profile->page_size);
            const auto cost = apdu::command_cost(*link.profile, payload.size(), resp.size(), pages);
            account.add(*link.profile, payload.size(), resp.size(), pages);
            if (verbose) std::cerr << fmt::format("sim: link {:.3f} ms\n", cost.total() * 1000);
            if (link.delay) ::usleep(static_cast<useconds_t>(cost.total() * 1e6));
        }
        if (!send_message(fd, resp)) return std::nullopt;
    }
}

int run(const Options& o) {
    const auto colon = o.vpcd.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == o.vpcd.size()) {
        std::cerr << "docketcard-sim: --vpcd must be HOST:PORT\n";
        return kExitUsage;
    }
    const std::string host = o.vpcd.substr(0, colon), port = o.vpcd.substr(colon + 1);

    applet::CardOptions options;
    options.tear_after = o.tear_after;
    options.tear_mode = o.tear_mode == "lost" ? applet::TearMode::Lost : applet::TearMode::Applied;
    std::unique_ptr<applet::Card> card;
    try {
        if (!o.keys_dir.empty()) options.factory = applet::FactoryKeys::from_file(std::filesystem::path(o.keys_dir) / "scp03-master.txt");
        card = applet::Card::open(o.card_file, options);
    } catch (const Error& e) {
        std::cerr << "docketcard-sim: " << e.what() << "\n";
        return kExitCardFile;
    }
    std::cerr << fmt::format("docketcard-sim: card {} from {}, vpcd {}\n", card->serial_hex(), o.card_file, o.vpcd);

    bool announced = false;
    MacFault fault{o.corrupt_read_mac};
    while (!g_stop) {
        const int fd = connect_once(host, port);
        if (fd < 0) {
            if (!announced && o.verbose) std::cerr << "sim: waiting for vpcd at " << o.vpcd << "\n";
            announced = true;
            for (int i = 0; i < 5 && !g_stop; ++i) ::usleep(100 * 1000);
            continue;
        }
        if (o.verbose) std::cerr << "sim: connected to vpcd (card inserted)\n";
        announced = false;
        card->reset();
        apdu::LinkAccount account;
        const auto rc = serve(fd, *card, o.verbose, o.echo, o.link, account, fault);
        ::close(fd);
        if (o.link.profile && account.commands > 0)
            std::cerr << "docketcard-sim: " << account.summary(o.link.profile->name) << "\n";
        if (rc) return *rc;
        if (o.verbose) std::cerr << "sim: vpcd closed the connection; reconnecting\n";
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"docketcard-sim: an emulated Secure Docket Card for a vpcd reader slot (docs/sim.md)"};
    app.set_version_flag("--version", std::string("docketcard-sim ") + DOCKETCARD_VERSION);
    app.footer("Exit status: 0 stopped by SIGTERM or SIGINT; 1 unexpected error; 2 bad command line (including a "
               "malformed --vpcd); 3 the tear point of --tear-after was reached; 4 the card file is corrupt, of another "
               "format version or in use by another process, or the --keys file is unreadable or malformed.");
    Options o;
    app.add_option("--vpcd", o.vpcd, "vpcd address HOST:PORT")->capture_default_str();
    app.add_option("--card-file", o.card_file, "card file (created blank when missing; same file = same card)")->required();
    app.add_option("--tear-after", o.tear_after, "pull the card after N command APDUs (exit code 3)");
    app.add_option("--tear-mode", o.tear_mode, "fate of the N-th command: applied or lost")
        ->check(CLI::IsMember({"applied", "lost"}))
        ->capture_default_str();
    app.add_option("--corrupt-read-mac", o.corrupt_read_mac,
                   "flip one bit of the response MAC (DO'8E) of the N-th READ BINARY under secure messaging, once "
                   "(tests of verify's recovery)");
    app.add_option("--keys", o.keys_dir, "directory holding scp03-master.txt for new cards (default: the sample keys)");
    bool no_quickack = false;
    app.add_flag("--no-quickack", no_quickack,
                 "keep TCP's delayed ACK (~40 ms per command behind vpcd); for bench/pcsc_latency.sh only");
    std::string link_profile, link_mode = "account";
    app.add_option("--link", link_profile,
                   "account each command on a physical link: contact-9600, contact-312k, contactless-424k or a "
                   "profile file (docs/sim.md); the projected time of each card session is printed on removal");
    app.add_option("--link-mode", link_mode, "account: only count the projected time; delay: also hold each answer back")
        ->check(CLI::IsMember({"account", "delay"}))
        ->capture_default_str();
    app.add_flag("--echo", o.echo,
                 "no card logic: answer every command with P1-P2 zero bytes and 9000 (the transport floor for "
                 "bench/card_bench.sh only)");
    app.add_flag("-v,--verbose", o.verbose, "log APDUs to stderr (secrets and SCP03 data as lengths only)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : kExitUsage;
    }

    g_quickack = !no_quickack;
    if (!link_profile.empty()) {
        try {
            o.link.profile = apdu::LinkProfile::load(link_profile);
        } catch (const Error& e) {
            std::cerr << "docketcard-sim: --link: " << e.what() << "\n";
            return kExitUsage;
        }
        o.link.delay = link_mode == "delay";
    }

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "docketcard-sim: " << e.what() << "\n";
        return kExitFailure;
    }
}
