import Foundation
import Kafka
import Logging
import Pipeline
import Synthea
import TestSupport
import Testing


@Suite("emr produce end to end over TCP")
struct ProduceEndToEndTests {
    @Test("produce --all-facilities, then every topic read back matches the export",
          .enabled(if: FileManager.default.fileExists(atPath: sharedRoot.path), "../shared/synthea is absent: skipped"))
    func produceAllFacilities() throws {
        let exportDir = sharedRoot.appendingPathComponent("mcode-L2-115p").path
        let broker = try BrokerProcess()
        let result = try run(try emrExecutable(), ["produce", "--export", exportDir, "--all-facilities",
                                                   "--brokers", broker.bootstrap, "--topics", packageRoot.appendingPathComponent("topics").path])
        #expect(result.status == 0, "emr produce failed: \(result.stderr)")
        #expect(result.stdout.contains("failed 0"), "\(result.stdout)")

        // Expected rows straight from the files.
        let export = try SyntheaExport(directory: exportDir)
        var expected: [Entity: [[String: String]]] = [:]
        var patientFacilities: Set<[String]> = []
        for entity in Entity.allCases {
            try export.forEachRow(entity) { row in
                expected[entity, default: []].append(Dictionary(uniqueKeysWithValues: zip(row.header.names, row.values)))
                if entity == .encounters { patientFacilities.insert([row["PATIENT"]!, row["ORGANIZATION"]!]) }
            }
        }
        let catalog = try TopicCatalog.load(directory: packageRoot.appendingPathComponent("topics").path)
        let builder = try RecordMessageBuilder(catalog: catalog)
        let total = Entity.allCases.filter { $0 != .patients }.reduce(0) { $0 + expected[$1]!.count } + patientFacilities.count

        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(
            kafka: KafkaConfiguration(bootstrapServers: broker.bootstrap), groupID: "g-e2e"), logger: logger)
        defer { consumer.close() }
        try consumer.subscribe(topics: Entity.allCases.map { builder.topics[$0]! })
        var messages: [ConsumedMessage] = []
        let deadline = Date().addingTimeInterval(60)
        while messages.count < total && Date() < deadline {
            messages += try consumer.poll(maxMessages: 5_000, timeoutMs: 200)
        }
        for _ in 0..<5 { messages += try consumer.poll(maxMessages: 5_000, timeoutMs: 200) }
        #expect(messages.count == total)

        var received: [Entity: [[String: String]]] = [:]
        var ids: Set<String> = []
        var patientPartition: [String: Int32] = [:]
        var receivedPatientFacilities: Set<[String]> = []
        for message in messages {
            let entity = try #require(Entity.allCases.first { builder.topics[$0] == message.topic })
            let value = try #require(try JSONSerialization.jsonObject(with: Data(message.value ?? [])) as? [String: String], "\(message.position)")
            received[entity, default: []].append(value)
            let schema = EntitySchema.of(entity)
            #expect(message.keyString == schema.naturalKey(of: value), "\(message.position)")
            let h = message.headers
            #expect(h.string(named: "ce_specversion") == "1.0")
            #expect(h.string(named: "ce_type") == entity.rawValue)
            #expect(h.string(named: "content-type") == "application/json")
            #expect(EventTime.seconds(h.string(named: "ce_time") ?? "") != nil, "ce_time is RFC 3339")
            let id = try #require(h.string(named: "ce_id"))
            #expect(ids.insert(id).inserted, "ce_id unique")
            let source = try #require(h.string(named: "ce_source"))
            let facility = String(source.dropFirst("/emr-stream/facilities/".count))
            switch entity {
            case .encounters: #expect(facility == value["ORGANIZATION"])
            case .providers: #expect(facility == value["ORGANIZATION"])
            case .organizations: #expect(facility == value["Id"])
            case .patients: receivedPatientFacilities.insert([value["Id"]!, facility])
            default: break
            }
            if let column = schema.patientColumn {
                let patient = value[column]!
                #expect(message.partition == Murmur2.partition(for: Array(patient.utf8), partitionCount: 6))
                if let known = patientPartition[patient] { #expect(known == message.partition, "one partition per patient") }
                patientPartition[patient] = message.partition
            }
        }
        for entity in Entity.allCases where entity != .patients {
            #expect(sorted(received[entity] ?? []) == sorted(expected[entity]!), "\(entity) values equal the source rows")
        }
        #expect(receivedPatientFacilities == patientFacilities, "one patient message per facility that saw the patient")
        #expect(Set(sorted(received[.patients] ?? [])) == Set(sorted(expected[.patients]!.filter { row in
            patientFacilities.contains { $0[0] == row["Id"] }
        })))
    }

    private func sorted(_ rows: [[String: String]]) -> [String] {
        rows.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1}") }.sorted()
    }

    @Test("records that cannot be delivered make produce exit 1 saying how many; the others still go")
    func undeliveredRecords() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("und-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try ExportGenerator(options: GeneratorOptions(patients: 5, organizations: 2, seed: 5)).write(to: dir)
        // Make one encounter far larger than message.max.bytes (1000, librdkafka's minimum).
        let encounters = URL(fileURLWithPath: dir).appendingPathComponent("encounters.csv")
        var lines = try String(contentsOf: encounters, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[9] = String(repeating: "x", count: 2_000)
        lines[1] = fields.joined(separator: ",")
        try lines.joined(separator: "\n").write(to: encounters, atomically: true, encoding: .utf8)
        let broker = try BrokerProcess()
        let result = try run(try emrExecutable(), [
            "produce", "--export", dir, "--all-facilities", "--brokers", broker.bootstrap,
            "--topics", packageRoot.appendingPathComponent("topics").path, "--kafka-property", "message.max.bytes=1000",
        ])
        #expect(result.status == 1)
        let words = result.stdout.split(separator: " ")
        let total = try #require(words.dropFirst().first.flatMap { Int($0) }, "\(result.stdout)")
        let match = try #require(result.stderr.firstMatch(of: /emr: error: (\d+) of (\d+) record\(s\) not delivered/), "\(result.stderr)")
        let lost = Int(match.1)!
        #expect(Int(match.2)! == total)
        #expect(lost > 0 && lost < total, "\(result.stdout)")
        #expect(result.stdout.contains("delivered \(total - lost), failed \(lost)"), "\(result.stdout)")
        #expect(result.stderr.contains(".csv:"), "the first refusal names file and line: \(result.stderr)")
    }

    @Test("produce refuses an unknown facility and a missing export with exit 1, bad flags with exit 2")
    func produceErrors() throws {
        let emr = try emrExecutable()
        let missing = try run(emr, ["produce", "--export", "/nonexistent-export", "--all-facilities", "--brokers", "127.0.0.1:1"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent-export"))
        let both = try run(emr, ["produce", "--export", "x", "--all-facilities", "--facility", "y"])
        #expect(both.status == 2)
        // An unknown facility in a real export: exit 1 naming organizations.csv and the id, nothing published.
        let work = try temporaryDirectory("unknown-facility")
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = try run(emr, ["generate", "--out", work, "--patients", "3", "--organizations", "2", "--seed", "61"])
        let broker = try BrokerProcess()
        let unknown = try run(emr, ["produce", "--export", work, "--facility", "no-such-org", "--brokers", broker.bootstrap,
                                    "--topics", packageRoot.appendingPathComponent("topics").path])
        #expect(unknown.status == 1 && unknown.stderr.contains("organizations.csv") && unknown.stderr.contains("no-such-org"), "\(unknown.stderr)")
        let kcat = try run(try executableOnPath("kcat"), ["-C", "-b", broker.bootstrap, "-t", "emr.raw.organizations", "-o", "beginning", "-e", "-q"])
        #expect(kcat.stdout.isEmpty, "records were published for an unknown facility: \(kcat.stdout.prefix(200))")
    }
}
