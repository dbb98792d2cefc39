import Foundation
import Marts
import State
import Synthea
import TestSupport
import Testing

/// What commands do, not only that they run (issue 16): produce's facility, order, rate and
/// speedup; a 3-broker embedded cluster end to end; `emr demo`; export manifests per partition
/// and exports taken while a consumer writes.
@Suite("Command behaviour through the CLI", .serialized)
struct CommandBehaviourTests {
    /// One message as kcat prints it with `%t\t%p\t%k\t%h`.
    struct Message { var topic: String; var partition: Int; var key: String; var headers: String }

    static func readAll(_ broker: BrokerProcess, topics: [String]) throws -> [Message] {
        var messages: [Message] = []
        for topic in topics {
            let result = try run(try executableOnPath("kcat"), ["-C", "-b", broker.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                                                               "-f", "%t\\t%p\\t%k\\t%h\\n"])
            #expect(result.status == 0, "kcat \(topic): \(result.stderr)")
            for line in result.stdout.split(separator: "\n") {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 4, let partition = Int(fields[1]) else { continue }
                messages.append(Message(topic: fields[0], partition: partition, key: fields[2], headers: fields[3]))
            }
        }
        return messages
    }

    /// Rows of a generated CSV as dictionaries (the generator writes no quoted commas in the
    /// columns read here).
    static func rows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    static let rawTopics = ["emr.raw.patients", "emr.raw.organizations", "emr.raw.providers", "emr.raw.encounters", "emr.raw.conditions", "emr.raw.medications"]

    @Test("produce --facility publishes only that facility; --order file keeps the file's order, event-time sorts by START; --rate and --speedup pace the run")
    func produceOptions() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("produce-options")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let export = "\(work)/export"
        try emr(["generate", "--out", export, "--patients", "40", "--organizations", "3", "--seed", String(seed)])
        let encounters = try Self.rows("\(export)/encounters.csv")
        let facility = try #require(try Self.rows("\(export)/organizations.csv").map { $0["Id"] ?? "" }.max { a, b in
            encounters.filter { $0["ORGANIZATION"] == a }.count < encounters.filter { $0["ORGANIZATION"] == b }.count })
        let ours = encounters.filter { $0["ORGANIZATION"] == facility }
        let fileLine = Dictionary(uniqueKeysWithValues: ours.enumerated().map { ($1["Id"]!, $0) })
        let start = Dictionary(uniqueKeysWithValues: ours.map { ($0["Id"]!, $0["START"]!) })

        /// Encounter keys per partition, in the order the partition holds them.
        func encounterOrder(_ messages: [Message]) -> [Int: [String]] {
            Dictionary(grouping: messages.filter { $0.topic == "emr.raw.encounters" }, by: \.partition).mapValues { $0.map(\.key) }
        }

        // --facility, --order file, --rate.
        let rate = 400.0
        let fileBroker = try BrokerProcess()
        var began = Date()
        let paced = try emr(["produce", "--export", export, "--facility", facility, "--order", "file", "--rate", String(Int(rate)),
                             "--brokers", fileBroker.bootstrap, "--topics", topicsDirectory])
        let pacedSeconds = Date().timeIntervalSince(began)
        let produced = try #require(paced.stdout.firstMatch(of: /produced (\d+) records/).flatMap { Int($0.1) }, "\(paced.stdout)")
        #expect(produced > 400, "\(context): a slice big enough to measure pacing")
        #expect(pacedSeconds >= 0.9 * Double(produced) / rate, "\(context): \(produced) records at \(rate)/s took only \(pacedSeconds) s")
        let inFileOrder = try Self.readAll(fileBroker, topics: Self.rawTopics)
        #expect(inFileOrder.count == produced, "\(context)")
        let foreign = inFileOrder.filter { !$0.headers.contains("ce_source=\(RecordMessagesSource.of(facility))") }
        #expect(foreign.isEmpty, "\(context): \(foreign.count) messages of another source, e.g. \(foreign.first.map { "\($0.topic) \($0.key) \($0.headers)" } ?? "")")
        #expect(Set(inFileOrder.filter { $0.topic == "emr.raw.encounters" }.map(\.key)) == Set(fileLine.keys), "\(context): exactly the facility's encounters")
        for (partition, keys) in encounterOrder(inFileOrder) {
            let lines = keys.map { fileLine[$0] ?? -1 }
            #expect(lines == lines.sorted(), "\(context): partition \(partition) is not in file order")
        }

        // --order event-time (the default), --speedup.
        let span = try #require(ISO8601DateFormatter().date(from: ours.map { $0["START"]! }.max()!)).timeIntervalSince(
            try #require(ISO8601DateFormatter().date(from: ours.map { $0["START"]! }.min()!)))
        let speedup = span / 3
        let timeBroker = try BrokerProcess()
        began = Date()
        try emr(["produce", "--export", export, "--facility", facility, "--speedup", String(speedup),
                 "--brokers", timeBroker.bootstrap, "--topics", topicsDirectory])
        let replaySeconds = Date().timeIntervalSince(began)
        #expect(replaySeconds >= 0.9 * span / speedup, "\(context): \(span) s of event time at \(speedup)x took only \(replaySeconds) s")
        let inTimeOrder = encounterOrder(try Self.readAll(timeBroker, topics: ["emr.raw.encounters"]))
        for (partition, keys) in inTimeOrder {
            let starts = keys.map { start[$0] ?? "" }
            #expect(starts == starts.sorted(), "\(context): partition \(partition) is not in START order")
        }
        #expect(inTimeOrder != encounterOrder(inFileOrder), "\(context): file and event-time order came out the same; the test cannot tell them apart")
    }

    /// The rows of an exported CSV (quoted fields and all), keyed by column name.
    static func exported(_ path: String) throws -> [[String: String]] {
        let reader = try CSVReader(path: path)
        guard let header = try reader.next()?.fields else { return [] }
        var rows: [[String: String]] = []
        while let record = try reader.next() { rows.append(Dictionary(uniqueKeysWithValues: zip(header, record.fields))) }
        return rows
    }

    /// The manifest's offsets as `topic/partition` -> next offset.
    static func manifestOffsets(_ directory: String) throws -> [String: Int] {
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/manifest.json"))) as? [String: Any])
        let offsets = try #require(manifest["offsets"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: offsets.map { ("\($0["topic"] as? String ?? "")/\($0["partition"] as? Int ?? -1)", $0["next_offset"] as? Int ?? -1) })
    }

    /// Messages per `topic/partition` in the broker (every log starts at offset 0 here).
    static func messagesPerPartition(_ broker: BrokerProcess) throws -> [String: Int] {
        Dictionary(grouping: try readAll(broker, topics: rawTopics), by: { "\($0.topic)/\($0.partition)" }).mapValues(\.count)
    }

    @Test("patient-scoped topics with different partition counts are refused at start, naming each topic's count; nothing is applied")
    func coPartitioningRefused() throws {
        let work = try temporaryDirectory("copartition")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let topics = "\(work)/topics"
        try FileManager.default.copyItem(atPath: topicsDirectory, toPath: topics)
        let encounters = "\(topics)/emr.raw.encounters.properties"
        try String(contentsOfFile: encounters, encoding: .utf8).replacingOccurrences(of: "partitions=6", with: "partitions=4")
            .write(toFile: encounters, atomically: true, encoding: .utf8)
        let broker = try BrokerProcess(topics: topics)
        let state = "\(work)/state.sqlite"
        let result = try run(try emrExecutable(), ["consume", "--state", state, "--brokers", broker.bootstrap, "--topics", topics,
                                                   "--exit-when-caught-up", "--quiet-period", "1"])
        let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 1, "\(result.status): \(result.stderr.suffix(1_000))")
        for named in ["emr.raw.encounters 4", "emr.raw.patients 6", "emr.raw.conditions 6", "emr.raw.medications 6"] {
            #expect(line.contains(named), "the error names \(named): \(line)")
        }
        #expect(!line.contains("emr.raw.organizations"), "reference topics are not patient-scoped: \(line)")
        #expect(try recordsRead(state) == 0, "nothing applied before the check")
    }

    @Test("a 3-broker embedded cluster: kcat sees 3 brokers, topics verify, produce and consume every record once, verify clean")
    func threeBrokers() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("three-brokers")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let broker = try BrokerProcess(count: 3)
        let listing = try run(try executableOnPath("kcat"), ["-L", "-b", broker.bootstrap])
        #expect(listing.stdout.contains(" 3 brokers:"), "\(context): \(listing.stdout.prefix(500))")
        try emr(["topics", "verify", "--brokers", broker.bootstrap, "--topics", topicsDirectory])
        let produced = try generateAndProduce(work, patients: 30, organizations: 4, seed: seed, broker)
        let state = "\(work)/state.sqlite"
        try consume(state, broker, group: "three")
        #expect(try recordsRead(state) == produced, "\(context)")
        try emr(["verify", "--state", state])
        try emr(["export", "--state", state, "--out", "\(work)/marts"])
        #expect(try Self.manifestOffsets("\(work)/marts") == (try Self.messagesPerPartition(broker)), "\(context): the manifest's offsets per partition are the logs' ends")
    }

    @Test("emr demo --no-serve: exit 0, every mart verified, its figures agree with the exported marts, the export equals a fresh one")
    func demo() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let out = "\(work)/demo"
        let result = try emr(["demo", "--no-serve", "--patients", "20", "--organizations", "3", "--seed", String(seed), "--out", out, "--http", "127.0.0.1:0"])
        let verified = result.stdout.split(separator: "\n").filter { $0.hasSuffix(" ok") && $0.contains(" rows ") }
        #expect(verified.count >= MartCatalog.all.count && !result.stdout.contains("MISMATCH"), "\(context): \(result.stdout)")
        // The printed encounters by class add up to the exported encounter fact.
        let byClass = result.stdout.matches(of: /\n {5}([A-Z][a-z]+) +(\d+) +(\d+)(?=\n)/).map { (String($0.1), Int($0.2)!) }
        let encounters = try Self.exported("\(out)/marts/fact_patient_encounters.csv")
        let counted = Dictionary(grouping: encounters, by: { $0["encounter_class"]!.capitalized }).mapValues(\.count)
        #expect(Dictionary(uniqueKeysWithValues: byClass) == counted, "\(context): printed \(byClass), exported \(counted)")
        try emr(["verify", "--state", "\(out)/state.sqlite"])
        try emr(["export", "--state", "\(out)/state.sqlite", "--out", "\(work)/again"])
        for mart in MartCatalog.all {
            let demoFile = try Data(contentsOf: URL(fileURLWithPath: "\(out)/marts/\(mart.name).csv"))
            #expect(demoFile == (try Data(contentsOf: URL(fileURLWithPath: "\(work)/again/\(mart.name).csv"))), "\(context): \(mart.name)")
        }
        let offsets = try Self.manifestOffsets("\(out)/marts").values.reduce(0, +)
        #expect(Int64(offsets) == (try recordsRead("\(out)/state.sqlite")) && offsets > 0, "\(context)")
    }

    /// Aggregate marts computed from the encounter fact of the same export: equal only when
    /// every mart was read at one point of the stream.
    static func expectConsistent(_ directory: String, context: String) throws -> Int {
        let encounters = try exported("\(directory)/fact_patient_encounters.csv")
        let byDay = Dictionary(grouping: encounters, by: { "\($0["encounter_class"]!) \($0["start_date"]!)" }).mapValues(\.count)
        let byMonth = Dictionary(grouping: encounters, by: { "\($0["encounter_class"]!) \($0["start_date"]!.prefix(7))-01" }).mapValues(\.count)
        let readmissions = Dictionary(uniqueKeysWithValues: try exported("\(directory)/fact_patient_encounter_readmissions.csv").map {
            ("\($0["encounter_class"]!) \($0["start_date"]!)", Int($0["encounter_count"]!)!) })
        let months = Dictionary(uniqueKeysWithValues: try exported("\(directory)/fact_patient_encounters_by_month.csv").map {
            ("\($0["encounter_class"]!) \($0["encounter_month"]!)", Int($0["encounter_count"]!)!) })
        #expect(readmissions == byDay, "\(context): \(directory): readmissions' counts differ from the encounters of the same export")
        #expect(months == byMonth, "\(context): \(directory): by-month counts differ from the encounters of the same export")
        return encounters.count
    }

    @Test("exports taken while a consumer writes are each one point of the stream (aggregates agree with the facts); the final manifest names every partition's end")
    func exportsWhileWriting() throws {
        let (seed, context) = testSeed()
        let work = try temporaryDirectory("export-live")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try emr(["generate", "--out", "\(work)/export", "--patients", "60", "--organizations", "4", "--seed", String(seed)])
        let broker = try BrokerProcess()
        let state = "\(work)/state.sqlite"
        let consumer = try ConsumerProcess(["--state", state, "--brokers", broker.bootstrap, "--topics", topicsDirectory,
                                            "--group", "live", "--batch-size", "15"], logs: "\(work)/consumer")
        // The export streams in, paced, while exports are taken.
        let producer = try ConsumerProcess(["--export", "\(work)/export", "--all-facilities", "--rate", "1000", "--brokers", broker.bootstrap,
                                            "--topics", topicsDirectory], logs: "\(work)/producer", command: "produce")
        var sizes: [Int] = []
        var index = 0
        while producer.process.isRunning {
            index += 1
            guard FileManager.default.fileExists(atPath: state) else { Thread.sleep(forTimeInterval: 0.2); continue }
            let directory = "\(work)/live-\(index)"
            try emr(["export", "--state", state, "--out", directory])
            sizes.append(try Self.expectConsistent(directory, context: context))
        }
        #expect(producer.process.terminationStatus == 0, "\(context): \(producer.stderr.suffix(1_000))")
        let produced = try #require(producer.stdout.firstMatch(of: /produced (\d+) records/).flatMap { Int64($0.1) }, "\(producer.stdout)")
        #expect(consumer.wait(seconds: 120) { ((try? recordsRead(state)) ?? 0) == produced }, "\(context): \(consumer.stderr.suffix(1_000))")
        kill(consumer.process.processIdentifier, SIGTERM)
        #expect(consumer.exitStatus(within: 30) == 0, "\(context)")
        try emr(["export", "--state", state, "--out", "\(work)/final"])
        let total = try Self.expectConsistent("\(work)/final", context: context)
        let midStream = Set(sizes.filter { $0 > 0 && $0 < total })
        #expect(midStream.count >= 2, "\(context): exports should land mid-stream: encounter rows \(sizes) of \(total)")
        #expect(try Self.manifestOffsets("\(work)/final") == (try Self.messagesPerPartition(broker)), "\(context): the manifest's offsets per partition are the logs' ends")
    }
}

/// `ce_source` as the producer writes it (spec section 3), spelled out here so a change to it
/// shows up in this test.
enum RecordMessagesSource {
    static func of(_ facility: String) -> String { "/emr-stream/facilities/\(facility)" }
}
