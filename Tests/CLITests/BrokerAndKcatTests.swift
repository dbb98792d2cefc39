import Foundation
import Kafka
import Logging
import TestSupport
import Testing

@Suite("emr broker with kcat, over TCP")
struct BrokerAndKcatTests {
    @Test("kcat -L lists every declared topic with its declared partitions")
    func kcatListsDeclaredTopics() throws {
        let broker = try BrokerProcess()
        let result = try run(try executableOnPath("kcat"), ["-L", "-J", "-b", broker.bootstrap])
        #expect(result.status == 0, "kcat -L failed: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let topics = try #require(json["topics"] as? [[String: Any]])
        var partitions: [String: Int] = [:]
        for topic in topics {
            partitions[topic["topic"] as! String] = (topic["partitions"] as! [Any]).count
        }
        let catalog = try TopicCatalog.load(directory: packageRoot.appendingPathComponent("topics").path)
        #expect(catalog.topics.count >= 7)
        for declared in catalog.topics {
            #expect(partitions[declared.name] == Int(declared.partitions), "\(declared.name)")
        }
        #expect(broker.stop() == 0, "emr broker exits 0 on SIGTERM")
        #expect(!FileManager.default.fileExists(atPath: broker.bootstrapFile.path), "bootstrap file removed on exit")
    }

    @Test("kcat produces, the Swift consumer reads; the Swift producer produces, kcat reads")
    func kcatInteroperates() async throws {
        let broker = try BrokerProcess()
        let kcat = try executableOnPath("kcat")
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrap)
        var logger = Logger(label: "test")
        logger.logLevel = .critical

        // kcat -> Swift
        let produced = try run(kcat, ["-P", "-b", broker.bootstrap, "-t", "emr.raw.patients", "-p", "2", "-K", "\t",
                                      "-H", "ce_type=patients", "-H", "ce_source=kcat"],
                               input: "p1\t{\"Id\":\"p1\"}\np2\t{\"Id\":\"p2\"}\n")
        #expect(produced.status == 0, "kcat -P failed: \(produced.stderr)")
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "g-kcat"), logger: logger)
        defer { consumer.close() }
        try consumer.subscribe(topics: ["emr.raw.patients"])
        var received: [ConsumedMessage] = []
        let deadline = Date().addingTimeInterval(30)
        while received.count < 2 && Date() < deadline {
            received += try consumer.poll(maxMessages: 10, timeoutMs: 200)
        }
        #expect(received.map(\.keyString) == ["p1", "p2"])
        #expect(received.map(\.valueString) == ["{\"Id\":\"p1\"}", "{\"Id\":\"p2\"}"])
        #expect(received.allSatisfy { $0.partition == 2 })
        #expect(received.allSatisfy { $0.headers.string(named: "ce_type") == "patients" && $0.headers.string(named: "ce_source") == "kcat" })

        // Swift -> kcat
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        for i in 0..<3 {
            _ = try await producer.send(OutgoingMessage(topic: "emr.raw.providers", partition: .explicit(1), key: "prov-\(i)",
                                                        value: "value \(i)", headers: [KafkaHeader("ce_type", "providers")]))
        }
        try producer.close()
        let read = try run(kcat, ["-C", "-b", broker.bootstrap, "-t", "emr.raw.providers", "-p", "1", "-o", "beginning",
                                  "-e", "-q", "-f", "%k|%s|%h\n"])
        #expect(read.status == 0, "kcat -C failed: \(read.stderr)")
        #expect(read.stdout.split(separator: "\n").map(String.init) == (0..<3).map { "prov-\($0)|value \($0)|ce_type=providers" })
    }
}

@Suite("emr command-line conventions")
struct CommandLineTests {
    @Test("usage errors exit 2, runtime failures exit 1 with one clear line, help exits 0")
    func exitCodes() throws {
        let emr = try emrExecutable()
        let usage = try run(emr, ["topics", "verify", "--no-such-flag"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--no-such-flag"))

        let missing = try run(emr, ["topics", "list", "--topics", "/nonexistent-topics-dir"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("emr: error: /nonexistent-topics-dir"))
        #expect(missing.stderr.split(separator: "\n").count == 1)

        let badCount = try run(emr, ["broker", "--count", "5"])
        #expect(badCount.status == 2)

        for command in [["--help"], ["broker", "--help"], ["topics", "apply", "--help"], ["bench", "kafka", "--help"]] {
            let help = try run(emr, command)
            #expect(help.status == 0, "\(command)")
            #expect(help.stdout.contains("USAGE"), "\(command)")
        }
        let brokerHelp = try run(emr, ["broker", "--help"])
        #expect(brokerHelp.stdout.contains("Examples"))
    }

    @Test("a bad kafka property is refused naming the property, and secrets are not echoed")
    func badKafkaProperty() throws {
        let emr = try emrExecutable()
        let result = try run(emr, ["topics", "verify", "--brokers", "127.0.0.1:1",
                                   "--kafka-property", "sasl.password=hunter2", "--kafka-property", "no.such.property=1"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no.such.property"))
        #expect(!result.stderr.contains("hunter2"))
    }
}
