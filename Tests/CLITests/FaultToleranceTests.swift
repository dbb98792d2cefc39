import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// Crashes, signals and a read-only state file against `emr consume` processes over TCP:
/// nothing lost, nothing doubled.
@Suite("emr consume survives kills, signals and storage faults", .serialized)
struct FaultToleranceTests {
    static let streamed = sharedRoot.appendingPathComponent("akaleem-L3c-116p").path

    /// The 11 CSV exports of two state files are byte-identical.
    static func expectSameExports(_ state: String, _ clean: String, work: String, context: String) throws {
        try emr(["export", "--state", state, "--out", "\(work)/tested"])
        try emr(["export", "--state", clean, "--out", "\(work)/clean"])
        try expectSameMartFiles("\(work)/tested", "\(work)/clean", context: context + " (against a clean run)")
    }

    @Test("10 × kill -9 at random moments while a shared export streams in; the final marts equal a clean run",
          .enabled(if: FileManager.default.fileExists(atPath: streamed), "../shared/synthea is absent: skipped"))
    func killLoopWhileStreaming() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let work = try temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        // The export streams in (paced) while the consumer is killed again and again.
        let producer = Process()
        producer.executableURL = try emrExecutable()
        producer.arguments = ["produce", "--export", Self.streamed, "--all-facilities", "--rate", "500",
                              "--brokers", broker.bootstrap, "--topics", topicsDirectory]
        let producerOutput = Pipe()
        producer.standardOutput = producerOutput
        producer.standardError = FileHandle.nullDevice
        try producer.run()

        let state = "\(work)/killed.sqlite"
        var progress: [Int64] = []
        for attempt in 0..<10 {
            // A new group each time: offsets come from the state file, and the mock broker would
            // otherwise wait a session timeout before handing a dead member's partitions over.
            let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                                "--group", "kill-\(attempt)", "--batch-size", String(random.int(20...500))],
                                               logs: "\(work)/attempt-\(attempt)")
            Thread.sleep(forTimeInterval: 2 + random.unit() * 3)
            kill(consumer.process.processIdentifier, SIGKILL)
            consumer.process.waitUntilExit()
            if FileManager.default.fileExists(atPath: state) { progress.append(try recordsRead(state)) }
        }
        let producerOut = String(decoding: producerOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        producer.waitUntilExit()
        #expect(producer.terminationStatus == 0, "\(context): producer \(producerOut)")
        let produced = Int64(producerOut.firstMatch(of: /produced (\d+) records/).map { String($0.1) } ?? "0") ?? 0
        #expect(produced > 10_000)

        let resumed = try consume(state, broker, group: "kill-final")
        #expect(resumed.status == 0, "\(context)")
        try emr(["verify", "--state", state])
        let clean = "\(work)/clean.sqlite"
        try consume(clean, broker, group: "clean")
        try Self.expectSameExports(state, clean, work: work, context: context)
        #expect(try recordsRead(state) == produced, "\(context): every message read exactly once across the kills")
        // Kills landed mid-stream (progress grew between kills, and was short of the end).
        let midStream = progress.filter { $0 > 0 && $0 < produced }
        #expect(Set(midStream).count >= 3, "\(context): records read at each kill \(progress) of \(produced)")
    }

    /// Publishes a value that is not JSON at offset 0 of every partition of every raw topic
    /// (so the first batch a consumer applies from scratch always refuses some), each under a
    /// key of its own. Returns the keys.
    static func publishMalformedFirst(_ broker: BrokerProcess) throws -> [String] {
        let kcat = try executableOnPath("kcat")
        var keys: [String] = []
        let declarations = try FileManager.default.contentsOfDirectory(atPath: topicsDirectory).filter { $0.hasPrefix("emr.raw.") }
        for file in declarations.sorted() {
            let text = try String(contentsOfFile: "\(topicsDirectory)/\(file)", encoding: .utf8)
            let topic = String(file.dropLast(".properties".count))
            let partitions = try #require(text.firstMatch(of: /partitions=(\d+)/).flatMap { Int($0.1) }, "\(file) has no partitions=")
            for partition in 0..<partitions {
                let key = "malformed-\(topic)-\(partition)"
                let headers = ["-H", "ce_specversion=1.0", "-H", "ce_id=\(key)", "-H", "ce_source=/tests", "-H", "ce_type=\(topic)"]
                let result = try run(kcat, ["-P", "-b", broker.bootstrap, "-t", topic, "-p", String(partition), "-k", key] + headers,
                                     input: "{not json \(key)\n")
                #expect(result.status == 0, "kcat: \(result.stderr)")
                keys.append(key)
            }
        }
        return keys
    }

    /// The keys of every message in the dead-letter topic, one per message.
    static func deadLetterKeys(_ broker: BrokerProcess) throws -> [String] {
        let result = try run(try executableOnPath("kcat"), ["-C", "-b", broker.bootstrap, "-t", "emr.deadletter", "-o", "beginning", "-e", "-q", "-f", "%k\\n"])
        #expect(result.status == 0, "kcat: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("kill -9 while a batch transaction is held open, with malformed records: the batch leaves nothing, its dead letters are published again, every record is read once")
    func killInsideOpenTransaction() throws {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        let work = try temporaryDirectory("kill-open")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "60", "--organizations", "6", "--seed", String(seed)])
        let broker = try BrokerProcess()
        let malformed = try Self.publishMalformedFirst(broker)
        let produced = Int64(try produceAll("\(work)/export", broker)) + Int64(malformed.count)

        let state = "\(work)/state.sqlite"
        var republished = 0
        for attempt in 0..<4 {
            // The first attempt holds the very first batch, which holds malformed records.
            let hold = attempt == 0 ? 1 : random.int(1...3)
            let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                                "--group", "open-\(attempt)", "--batch-size", String(random.int(40...300))],
                                               logs: "\(work)/attempt-\(attempt)", environment: ["EMR_FAULT_HOLD_BEFORE_COMMIT": "\(hold):300"])
            let held = consumer.wait(seconds: 60) { consumer.stderr.contains("fault injection: holding batch \(hold) ") }
            #expect(held, "\(context): attempt \(attempt) never held batch \(hold): \(consumer.stderr.suffix(1_500))")
            let committedBefore = FileManager.default.fileExists(atPath: state) ? try recordsRead(state) : 0
            kill(consumer.process.processIdentifier, SIGKILL)
            consumer.process.waitUntilExit()
            let line = consumer.stderr.firstMatch(of: /holding batch \d+ .*\(read (\d+), rejected (\d+), dead letters acknowledged (\d+)\)/)
            let (read, rejected, letters) = (line.map { Int($0.1)! } ?? 0, line.map { Int($0.2)! } ?? 0, line.map { Int($0.3)! } ?? 0)
            #expect(read > 0 && letters == rejected, "\(context): attempt \(attempt): \(line.map { String($0.0) } ?? String(consumer.stderr.suffix(500)))")
            if attempt == 0 { #expect(letters > 0, "\(context): the first batch held no malformed record") }
            republished += letters
            // The killed transaction left nothing: the committed count is what it was while it was open.
            #expect(try recordsRead(state) == committedBefore, "\(context): attempt \(attempt): the held batch was committed")
        }

        try consume(state, broker, group: "open-final")
        #expect(try recordsRead(state) == produced, "\(context): every message in the topics read exactly once across the kills")
        let quarantined = try emr(["quarantine", "--state", state, "--json"]).stdout.split(separator: "\n")
        #expect(quarantined.count == malformed.count, "\(context): each malformed record quarantined once")
        let letters = try Self.deadLetterKeys(broker)
        #expect(Set(letters) == Set(malformed), "\(context): every malformed record is a dead letter")
        #expect(letters.count == malformed.count + republished,
                "\(context): the dead letters of each killed batch are published again, once: \(letters.count) letters, \(malformed.count) records, \(republished) republished")
        try emr(["verify", "--state", state])
        let clean = "\(work)/clean.sqlite"
        try consume(clean, broker, group: "clean")
        try Self.expectSameExports(state, clean, work: work, context: context)
    }

    @Test("SIGTERM or SIGINT during a batch: exit 0 within seconds, and a restart continues exactly where it stopped",
          arguments: [("SIGTERM", SIGTERM), ("SIGINT", SIGINT)])
    func stopSignalDuringBatch(name: String, number: Int32) throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory(name.lowercased())
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "150", "--organizations", "12", "--seed", String(seed)])
        let broker = try BrokerProcess()
        let produced = Int64(try produceAll("\(work)/export", broker))
        let state = "\(work)/state.sqlite"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                            "--group", "term", "--batch-size", "40"], logs: "\(work)/first")
        // Stop once batches are being applied (so the signal lands while they are).
        let started = try consumer.wait(seconds: 60) { FileManager.default.fileExists(atPath: state) && (try? recordsRead(state)) ?? 0 > 200 }
        #expect(started, "\(context): no batch applied within 60 s: \(consumer.stderr.suffix(1_000))")
        kill(consumer.process.processIdentifier, number)
        let signalled = Date()
        let status = consumer.exitStatus(within: 10)
        #expect(status == 0, "\(context): \(name) must exit 0 within 10 s, got \(status.map(String.init) ?? "still running"): \(consumer.stderr.suffix(1_000))")
        let stoppedIn = consumer.exitedAt.map { $0.timeIntervalSince(signalled) } ?? .infinity
        #expect(stoppedIn < 10, "\(context): \(name) took \(stoppedIn) s")
        #expect(consumer.stdout.contains("(stopped by \(name))"), "\(context): \(consumer.stdout)")
        let first = try recordsRead(state)
        let firstLine = consumer.stdout.firstMatch(of: /consume: read (\d+)/).map { Int64($0.1)! }
        #expect(firstLine == first, "\(context): the run's own count \(firstLine ?? -1) must be what the state file committed (\(first))")
        #expect(first < produced, "\(context): stopped before the end (\(first) of \(produced)); make the export bigger")

        // Same group: the stopped member left the group, so the restart is assigned at once.
        let restart = try emr(["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                               "--group", "term", "--exit-when-caught-up", "--quiet-period", "1"])
        let second = restart.stdout.firstMatch(of: /consume: read (\d+)/).map { Int64($0.1)! }
        #expect(second == produced - first, "\(context): the restart read \(second ?? -1), expected exactly the rest \(produced - first)")
        #expect(try recordsRead(state) == produced)
        try emr(["verify", "--state", state])
    }

    @Test("a second signal while a batch is still being applied exits 130 at once; the batch is not committed, a restart reads it again")
    func secondSignal() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("second-signal")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess()
        let produced = try generateAndProduce(work, patients: 30, organizations: 4, seed: seed, broker)
        let state = "\(work)/state.sqlite"
        // The second batch is held open (fault injection), so the signals land while it is applied.
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                            "--group", "signals", "--batch-size", "100"],
                                           logs: "\(work)/consumer", environment: ["EMR_FAULT_HOLD_BEFORE_COMMIT": "2:300"])
        #expect(consumer.wait(seconds: 60) { consumer.stderr.contains("fault injection: holding batch 2 ") }, "\(context): \(consumer.stderr.suffix(1_000))")
        let committed = try recordsRead(state)
        kill(consumer.process.processIdentifier, SIGTERM)
        // The first signal waits for the batch in progress.
        Thread.sleep(forTimeInterval: 1)
        #expect(consumer.process.isRunning, "\(context): the first signal must let the batch finish")
        let signalled = Date()
        kill(consumer.process.processIdentifier, SIGINT)
        let status = consumer.exitStatus(within: 10)
        #expect(status == 130, "\(context): a second signal exits 130 at once, got \(status.map(String.init) ?? "still running")")
        let stoppedIn = consumer.exitedAt.map { $0.timeIntervalSince(signalled) } ?? .infinity
        #expect(stoppedIn < 5, "\(context): the second signal took \(stoppedIn) s")
        #expect(try recordsRead(state) == committed, "\(context): the interrupted batch was committed")
        try consume(state, broker, group: "signals-again")
        #expect(try recordsRead(state) == produced, "\(context): every record read once after the interrupted batch")
        try emr(["verify", "--state", state])
    }

    /// A storage fault that appears while the consumer runs (one present at start fails fast,
    /// `HardeningCLITests`) is retried: while it lasts no offset advances, the error names the
    /// file, the consumer is not ready and keeps running; once it clears the batch goes through
    /// and nothing is lost or doubled. `inject` makes the fault (given the state path and the
    /// records already committed), `clear` removes it.
    static func storageFault(_ label: String, stateIn directory: (_ work: String) throws -> String,
                             inject: (String) throws -> Void, clear: (String) throws -> Void,
                             whileFaulty: (String) throws -> Void = { _ in }) throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory(label)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/first", "--patients", "20", "--organizations", "3", "--seed", String(seed)])
        try emr(["generate", "--out", "\(work)/second", "--patients", "40", "--organizations", "3", "--seed", String(seed + 1)])
        let broker = try BrokerProcess()
        let state = "\(try directory(work))/state.sqlite"
        let firstCount = Int64(try produceAll("\(work)/first", broker))
        try consume(state, broker, group: label)
        #expect(try recordsRead(state) == firstCount)

        let ready = "\(work)/ready"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                            "--group", label, "--ready-file", ready], logs: "\(work)/consumer")
        #expect(consumer.wait(seconds: 60) { FileManager.default.fileExists(atPath: ready) }, "\(context): never ready: \(consumer.stderr.suffix(2_000))")
        try inject(state)
        var cleared = false
        defer { if !cleared { try? clear(state) } }
        let secondCount = Int64(try produceAll("\(work)/second", broker))
        let retried = consumer.wait(seconds: 60) { consumer.stderr.components(separatedBy: "not applied").count > 2 }
        #expect(retried, "\(context): expected repeated errors during the fault: \(consumer.stderr.suffix(2_000))")
        let error = consumer.stderr.split(separator: "\n").first { $0.contains("not applied") }.map(String.init) ?? ""
        #expect(error.contains(state) && error.contains("No offset advanced"), "\(context): \(error)")
        #expect(consumer.process.isRunning, "\(context): the consumer must keep retrying, not exit")
        #expect(!FileManager.default.fileExists(atPath: ready), "\(context): not ready while the state cannot be written")
        #expect(try recordsRead(state) == firstCount, "\(context): nothing committed during the fault")
        try whileFaulty(state)

        try clear(state)
        cleared = true
        let caughtUp = consumer.wait(seconds: 90) { ((try? recordsRead(state)) ?? 0) == firstCount + secondCount }
        #expect(caughtUp, "\(context): after the fault cleared: \(consumer.stderr.suffix(2_000))")
        #expect(consumer.wait(seconds: 30) { FileManager.default.fileExists(atPath: ready) }, "\(context): ready again once the fault cleared")
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 30) == 0, "\(context): \(consumer.stderr.suffix(1_000))")
        #expect(consumer.stderr.contains("resumed"), "\(context)")
        #expect(try recordsRead(state) == firstCount + secondCount, "\(context): nothing lost or doubled across the fault")
        try emr(["verify", "--state", state])
        let clean = "\(work)/clean.sqlite"
        try consume(clean, broker, group: "clean")
        try Self.expectSameExports(state, clean, work: work, context: context)
    }

    /// Only root can take write access away from files a process already has open (the
    /// immutable attribute), so this needs root and chattr's capability.
    @Test("state file turns read-only while running: no offset advances, the error names the file, the batch resumes once it is writable",
          .enabled(if: FileAttributes.immutableSupported, "needs root with CAP_LINUX_IMMUTABLE (chattr +i on open files): skipped"))
    func readOnlyStateFile() throws {
        var before: [Data] = []
        func files(_ state: String) -> [String] { [state, state + "-wal"] }
        try Self.storageFault("readonly", stateIn: { $0 }, inject: { state in
            for file in files(state) { try FileAttributes.setImmutable(file, true) }
            before = try files(state).map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        }, clear: { state in
            for file in files(state) { try FileAttributes.setImmutable(file, false) }
        }, whileFaulty: { state in
            let now = try files(state).map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
            #expect(now == before, "the read-only files changed")
        })
    }

    /// The state file on a tmpfs of its own, shrunk to what it already holds: the next batches
    /// find the disk full (SQLITE_FULL) until the filesystem grows again.
    @Test("disk full while running (a small tmpfs): no offset advances, not ready, the batch resumes once there is space; nothing lost or doubled",
          .enabled(if: SmallFilesystem.supported, "needs root with mount permission (tmpfs): skipped"))
    func diskFull() throws {
        var disk: SmallFilesystem?
        defer { disk?.unmount() }
        try Self.storageFault("diskfull", stateIn: { _ in
            disk = try SmallFilesystem(megabytes: 64)
            return disk!.path
        }, inject: { _ in
            try disk!.resize(bytes: try disk!.usedBytes() + 16 * 1024)
        }, clear: { _ in
            try disk!.resize(bytes: 64 << 20)
        })
    }

    @Test("two consumers in one group, each with its own state file: partitions move between them, neither state loses or doubles a record")
    func rebalanceBetweenTwoProcesses() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("rebalance")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "150", "--organizations", "12", "--seed", String(seed)])
        let broker = try BrokerProcess()
        let produced = Int64(try produceAll("\(work)/export", broker))
        func start(_ name: String) throws -> ConsumerProcess {
            try ConsumerProcess(["--state", "\(work)/\(name).sqlite", "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                 "--group", "rebalance", "--batch-size", "50", "--exit-when-caught-up", "--quiet-period", "3"],
                                logs: "\(work)/\(name)")
        }
        let a = try start("a")
        let aStarted = try a.wait(seconds: 60) { FileManager.default.fileExists(atPath: "\(work)/a.sqlite") && (try? recordsRead("\(work)/a.sqlite")) ?? 0 > 300 }
        #expect(aStarted, "\(context): \(a.stderr.suffix(1_000))")
        let b = try start("b")
        #expect(a.exitStatus(within: 120) == 0, "\(context): \(a.stderr.suffix(1_000))")
        #expect(b.exitStatus(within: 120) == 0, "\(context): \(b.stderr.suffix(1_000))")

        var owners: [String: [String]] = [:]
        var furthest: [String: Int64] = [:]
        for name in ["a", "b"] {
            let path = "\(work)/\(name).sqlite"
            let store = try StateStore(readingExisting: path, migrations: MartSchema.migrations)
            var sum: Int64 = 0
            for (topic, partitions) in try store.storedOffsets() {
                for (partition, next) in partitions where next > 0 {
                    sum += next
                    owners["\(topic)/\(partition)", default: []].append(name)
                    furthest["\(topic)/\(partition)"] = max(furthest["\(topic)/\(partition)"] ?? 0, next)
                }
            }
            // Each state reads every partition it ever owned from the start, each offset once.
            let read = try store.counter(.recordsRead)
            #expect(read == sum, "\(context): state \(name) read \(read) records, its offsets cover \(sum)")
            #expect(sum > 0, "\(context): state \(name) never owned a partition")
            try emr(["verify", "--state", path])
        }
        #expect(furthest.values.reduce(0, +) == produced, "\(context): together the states cover every produced record")
        #expect(owners.values.contains { $0.count == 2 }, "\(context): no partition moved between the consumers: \(owners)")
    }
}
