import Foundation
import TestSupport
import Testing

/// What the image and docker-compose.yml rely on, through the CLI: `emr probe` as the health
/// check, every command from a directory without `topics/` (the declarations compiled in),
/// `emr broker --port`, and `emr generate --keep-existing`.
@Suite("Container commands: probe, built-in topics, a fixed broker port")
struct ContainerCommandsTests {
    @Test("emr probe: exit 0 on 2xx, 1 on 503 (printing why) or no listener, 2 on a URL it cannot use")
    func probeExitCodes() throws {
        let work = try temporaryDirectory("probe")
        defer { try? FileManager.default.removeItem(atPath: work) }
        // No broker answers: alive (livez 200) but not ready (readyz 503).
        let consumer = try ConsumerProcess(["--state", "\(work)/state.sqlite", "--brokers", "127.0.0.1:1", "--http", "127.0.0.1:0"],
                                           logs: "\(work)/consumer")
        defer { _ = consumer.exitStatus(within: 10) }
        let port = try #require(HTTPServiceTests.port(of: consumer), "no serving line: \(consumer.stderr.suffix(1_000))")
        let live = try run(try emrExecutable(), ["probe", "http://127.0.0.1:\(port)/livez"])
        #expect(live.status == 0 && live.stdout.contains(": 200"), "\(live)")
        let ready = try run(try emrExecutable(), ["probe", "--timeout", "5", "http://127.0.0.1:\(port)/readyz"])
        #expect(ready.status == 1 && ready.stdout.contains(": 503") && ready.stdout.contains("\"ready\""), "\(ready)")
        let quiet = try run(try emrExecutable(), ["probe", "-q", "http://127.0.0.1:\(port)/readyz"])
        #expect(quiet.status == 1 && quiet.stdout.isEmpty, "\(quiet)")
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 20) == 0)
        let closed = try run(try emrExecutable(), ["probe", "--timeout", "2", "http://127.0.0.1:\(port)/livez"])
        #expect(closed.status == 1 && closed.stderr.contains("cannot connect"), "\(closed)")
        for bad in ["ftp://127.0.0.1/x", "not a url", "http:///path"] {
            let result = try run(try emrExecutable(), ["probe", bad])
            #expect(result.status == 2 && result.stderr.contains("http://"), "\(bad): \(result)")
        }
    }

    @Test("from a directory without topics/: emr broker --port, topics verify, generate --keep-existing, produce and consume use the built-in declarations")
    func builtInTopicsAnywhere() throws {
        let work = try temporaryDirectory("anywhere")
        defer { try? FileManager.default.removeItem(atPath: work) }
        #expect(!FileManager.default.fileExists(atPath: "\(work)/topics"))
        // A free port: bind 0, read it, close (the broker binds it right after).
        let port = try freeLoopbackPort()
        let broker = Process()
        broker.executableURL = try emrExecutable()
        broker.arguments = ["broker", "--port", String(port), "--bootstrap-file", "\(work)/bootstrap"]
        broker.currentDirectoryURL = URL(fileURLWithPath: work)
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer { broker.terminate(); broker.waitUntilExit() }
        let deadline = Date().addingTimeInterval(20)
        var bootstrap = ""
        while bootstrap.isEmpty && Date() < deadline {
            bootstrap = ((try? String(contentsOfFile: "\(work)/bootstrap", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(bootstrap == "127.0.0.1:\(port)", "the fixed port is the bootstrap address")
        let brokers = ["--brokers", "127.0.0.1:\(port)"]
        let verify = try run(try emrExecutable(), ["topics", "verify"] + brokers, directory: work)
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.split(separator: "\n").filter { $0.hasSuffix(": ok") }.count == 8, "\(verify.stdout)")

        let generate = ["generate", "--out", "\(work)/export", "--patients", "12", "--organizations", "2", "--seed", "5"]
        #expect(try run(try emrExecutable(), generate, directory: work).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(work)/export/patients.csv"))
        let kept = try run(try emrExecutable(), Array(generate.dropLast(2)) + ["--seed", "6", "--keep-existing"], directory: work)
        #expect(kept.status == 0 && kept.stdout.contains("kept"), "\(kept)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(work)/export/patients.csv")) == before, "--keep-existing rewrote the export")

        let produced = try run(try emrExecutable(), ["produce", "--export", "\(work)/export", "--all-facilities"] + brokers, directory: work)
        #expect(produced.status == 0, "\(produced)")
        let count = Int64(produced.stdout.firstMatch(of: /produced (\d+) records/).map { String($0.1) } ?? "0") ?? 0
        #expect(count > 0)
        let consumed = try run(try emrExecutable(), ["consume", "--state", "state.sqlite", "--exit-when-caught-up", "--quiet-period", "1"] + brokers,
                               directory: work)
        #expect(consumed.status == 0, "\(consumed)")
        #expect(try recordsRead("\(work)/state.sqlite") == count, "every record published through the fixed port is read once")
    }

    private func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound, "cannot bind a loopback port")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
