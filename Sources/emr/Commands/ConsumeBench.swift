import ArgumentParser
import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import State
import Synchronization
import Synthea

/// `emr bench consume`: the consumer service end to end beside a raw read of the same topics.
struct ConsumeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Generate, produce to an embedded broker, then time a raw read and the consumer service on the same topics.",
        discussion: """
            In one run: generates an export (--patients, seed --seed), starts an embedded broker \
            in-process (raw topics with --partitions each, since it keeps only about 5 MiB per \
            partition), publishes every facility, then
              (a) reads every raw topic with the project's consumer, applying nothing;
              (b) runs `emr consume --exit-when-caught-up` (a child process) into a
                  new state file, and `emr verify` on it.
            Prints both rates, their ratio, the consumer's records/s (first to last message), its \
            peak RSS, the time per batch split into decode, stage, marts and commit, and the \
            applying thread's CPU time per batch (steadier than wall clock on a shared machine). \
            Exits 1 when verify finds a difference. Use a release build for figures.

            With --runs N, (b) runs N times over the same topics (each into a new state file and \
            consumer group, each verified) and the median records/s is printed with the range: \
            a shared machine's noise moves single runs by 10 % or more.

            With --rate R (latency): the consumer starts first and waits, ready; the export is then \
            published at a steady R records/s; once everything is applied the consumer is stopped \
            and the time from each record's Kafka timestamp to the commit of the batch that \
            applied it is printed (p50, p99, max).

            Examples:
              emr bench consume
              emr bench consume --patients 6000 --partitions 48
              emr bench consume --patients 100 --rate 1000
              emr bench consume --runs 5
              emr bench consume --workers 2   # --state-dir, tasks applied on 2 threads
            """
    )

    @Option(name: .long, help: "Patients to generate.")
    var patients = 600

    @Option(name: .long, help: "Generator seed.")
    var seed: UInt64 = 3

    @Option(name: .long, help: ArgumentHelp("Partitions of each raw topic (default: as declared).", valueName: "n"))
    var partitions: Int32?

    @Option(name: .long, help: ArgumentHelp("Batch size of the consumer (default: its own).", valueName: "n"))
    var batchSize: Int?

    @Option(name: .long, help: ArgumentHelp("Publish at this steady rate while the consumer runs, and print latencies.", valueName: "records-per-s"))
    var rate: Double?

    @Option(name: .long, help: ArgumentHelp("Run the consumer with --state-dir (a file per task) and this many --workers.", valueName: "n"))
    var workers: Int?

    @Option(name: .long, help: ArgumentHelp("Times to run the consumer over the same topics; the median is printed.", valueName: "n"))
    var runs = 1

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try OptionChecks.check(patients, "--patients", 1...1_000_000)
        try OptionChecks.check(rate, "--rate", 1...1_000_000, unit: " records/s")
        try OptionChecks.check(partitions, "--partitions", 1...1_000)
        try OptionChecks.check(batchSize, "--batch-size", 1...1_000_000)
        try OptionChecks.check(workers, "--workers", 1...256)
        try OptionChecks.check(runs, "--runs", 1...100)
        if rate != nil, runs != 1 { throw ValidationError("--runs applies to the throughput run, not to --rate") }
    }

    func run() throws {
        let logger = logging.makeLogger("emr.bench")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emr-consume-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let generated = try ExportGenerator(options: GeneratorOptions(patients: patients, organizations: patients / 8 + 1, seed: seed))
            .write(to: "\(work)/export")
        print("generated \(generated.rows.values.reduce(0, +)) rows for \(patients) patients (seed \(seed))")

        var catalog = try BuiltInTopics.catalog()
        if let partitions {
            catalog = TopicCatalog(topics: catalog.topics.map { topic in
                var topic = topic
                if topic.role == .raw { topic.partitions = partitions }
                return topic
            })
        }
        let broker = try EmbeddedBroker(brokers: 1, logger: logger)
        try broker.createTopics(catalog)
        let kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)

        var common = ["--brokers", broker.bootstrapServers]
        if let partitions { common += ["--topics", try writeTopics(catalog, partitions: partitions, into: work)] }
        if let batchSize { common += ["--batch-size", String(batchSize)] }
        if let rate {
            try latency(consumeArguments(common, run: 1, work: work), kafka: kafka, catalog: catalog, rate: rate, work: work, logger: logger)
            withExtendedLifetime(broker) {}
            return
        }

        let produced = try publish(kafka: kafka, catalog: catalog, rate: nil, work: work, logger: logger)
        print("produced \(produced) records to \(catalog.rawTopicsByEntity.count) raw topics")

        let raw = try rawRead(kafka, topics: catalog.topics.filter { $0.role == .raw }.map(\.name), expected: produced, logger: logger)
        print(String(format: "(a) raw read (project's consumer, nothing applied): %d messages in %.2f s = %.0f msg/s",
                     raw.count, raw.seconds, Double(raw.count) / max(raw.seconds, 1e-9)))

        let rawRate = Double(raw.count) / max(raw.seconds, 1e-9)
        var rates: [Double] = []
        for run in 1...runs {
            let child = try runChild(consumeArguments(common, run: run, work: work) + ["--exit-when-caught-up", "--quiet-period", "1"])
            guard child.status == 0, let line = child.stdout.split(separator: "\n").last(where: { $0.hasPrefix("consume: read") }) else {
                throw RuntimeFailure("emr consume exited \(child.status): \(child.stderr.suffix(2_000))")
            }
            let figures = try ConsumeFigures(String(line))
            let consumeRate = Double(figures.read) / max(figures.activeSeconds, 1e-9)
            rates.append(consumeRate)
            print(String(format: "(b) emr consume%@: %d records in %.2f s (first to last message) = %.0f records/s; %d batches; peak RSS %.0f MB",
                         runs > 1 ? " (run \(run) of \(runs))" : "", figures.read, figures.activeSeconds, consumeRate, figures.batches, figures.peakMB))
            print(String(format: "    per batch: decode %.2f ms, stage %.2f ms, marts %.2f ms, commit %.2f ms; applying thread's CPU %.2f ms",
                         figures.decodeMs, figures.stageMs, figures.martsMs, figures.commitMs, figures.applyingCPUMs))
            try verify(work, run: run, read: figures.read, produced: produced)
        }
        let sorted = rates.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        if runs > 1 {
            print(String(format: "(b) median of %d runs: %.0f records/s (%.0f to %.0f)", runs, median, sorted.first!, sorted.last!))
        }
        print(String(format: "ratio consume/raw read: %.4f", median / rawRate))
        withExtendedLifetime(broker) {}
    }

    /// `emr consume`'s arguments for run `run`: its own state file (or task directory) and group.
    private func consumeArguments(_ common: [String], run: Int, work: String) -> [String] {
        ["consume", "--group", "emr-bench-consume-\(run)"] + common
            + (workers.map { ["--state-dir", stateDirectory(work, run: run), "--workers", String($0)] } ?? ["--state", statePath(work, run: run)])
    }

    private func statePath(_ work: String, run: Int) -> String { "\(work)/state-\(run).sqlite" }
    private func stateDirectory(_ work: String, run: Int) -> String { "\(work)/tasks-\(run)" }

    /// Publishes every facility of the export (paced when `rate` is given); returns the count.
    private func publish(kafka: KafkaConfiguration, catalog: TopicCatalog, rate: Double?, work: String, logger: Logger) throws -> Int {
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        var options = ProduceOptions(exportDirectory: "\(work)/export", facilities: nil)
        options.rate = rate
        let produced = try FacilityProducers(options: options, producer: producer, builder: try RecordMessageBuilder(catalog: catalog), logger: logger)
            .run { _ in }
        try? producer.close(timeoutMs: 10_000)
        guard produced.lost == 0 else { throw RuntimeFailure("\(produced.lost) records not delivered") }
        return produced.sentTotal
    }

    /// Verifies run `run`'s state, then removes it (a 6000-patient state is about 500 MB).
    private func verify(_ work: String, run: Int, read: Int, produced: Int) throws {
        let files = try stateFiles(work, run: run)
        defer {
            for file in files { for suffix in ["", "-wal", "-shm", ".lock"] { try? FileManager.default.removeItem(atPath: file + suffix) } }
        }
        var differences: [MartComparison] = []
        for file in files {
            let store = try StateStore(readingExisting: file, migrations: MartSchema.migrations)
            differences += try MartVerifier(database: store.database).verify().filter { !$0.matches }
            store.database.close()
        }
        guard differences.isEmpty else { throw RuntimeFailure("verify: \(differences.count) mart(s) differ from their batch definition") }
        guard read == produced else { throw RuntimeFailure("consumed \(read) of \(produced) records") }
        print("verify: all 11 marts equal their batch definition" + (workers == nil ? "" : " in each of \(files.count) task files"))
    }

    /// The consumer waits, ready; records arrive at `rate`; latencies from its summary.
    private func latency(_ arguments: [String], kafka: KafkaConfiguration, catalog: TopicCatalog, rate: Double, work: String, logger: Logger) throws {
        let ready = "\(work)/ready"
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = arguments + ["--ready-file", ready]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: ready) {
            guard Date() < deadline, process.isRunning else { throw RuntimeFailure("the consumer was not ready within 60 s") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        print(String(format: "consumer ready; publishing at %.0f records/s", rate))
        let started = Date()
        let produced = try publish(kafka: kafka, catalog: catalog, rate: rate, work: work, logger: logger)
        print(String(format: "produced %d records in %.1f s", produced, Date().timeIntervalSince(started)))
        // Everything applied: the state file's counter says so.
        var read: Int64 = 0
        let files = { (try? stateFiles(work, run: 1)) ?? [] }
        while read < Int64(produced) {
            guard Date() < started.addingTimeInterval(Double(produced) / rate + 120), process.isRunning else {
                throw RuntimeFailure("the consumer applied \(read) of \(produced) records")
            }
            Thread.sleep(forTimeInterval: 0.2)
            read = files().reduce(0) { $0 + ((try? StateStore(readingExisting: $1, migrations: MartSchema.migrations).counter(.recordsRead)) ?? 0) }
        }
        process.terminate()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = stdout.split(separator: "\n").last(where: { $0.hasPrefix("consume: read") }),
              let match = line.firstMatch(of: /p50 (\d+) ms, p99 (\d+) ms, max (\d+) ms/) else {
            throw RuntimeFailure("no latency in the consumer's summary: \(stdout.suffix(500))")
        }
        let figures = try ConsumeFigures(String(line))
        print("(b) emr consume at \(Int(rate)) records/s: Kafka timestamp to commit p50 \(match.1) ms, p99 \(match.2) ms, max \(match.3) ms; \(figures.batches) batches; peak RSS \(Int(figures.peakMB)) MB")
        try verify(work, run: 1, read: figures.read, produced: produced)
    }

    /// The state files of run `run`: its state file, or its task files.
    private func stateFiles(_ work: String, run: Int) throws -> [String] {
        guard workers != nil else { return [statePath(work, run: run)] }
        return try TaskFiles.names(in: stateDirectory(work, run: run)).map { TaskFiles.path(of: $0, in: stateDirectory(work, run: run)) }
    }

    static func executable() throws -> URL {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard FileManager.default.isExecutableFile(atPath: own.path) else { throw RuntimeFailure("cannot find this emr binary") }
        return own
    }

    /// Reads every raw topic from the start until `expected` messages arrived.
    private func rawRead(_ kafka: KafkaConfiguration, topics: [String], expected: Int, logger: Logger) throws -> (count: Int, seconds: Double) {
        let reader = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "emr-bench-raw-\(getpid())"), logger: logger)
        defer { reader.close() }
        try reader.subscribe(topics: topics)
        return try reader.readCount(expected, within: .seconds(300))
    }

    /// The consumer child reads the same partition counts as the broker (written as declarations).
    private func writeTopics(_ catalog: TopicCatalog, partitions: Int32, into work: String) throws -> String {
        let directory = "\(work)/topics"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in BuiltInTopics.files {
            let adjusted = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("partitions=") && text.contains("role=raw") ? "partitions=\(partitions)" : String(line)
            }.joined(separator: "\n")
            try adjusted.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        return directory
    }

    private func runChild(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = Mutex(Data())
        let reading = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reading.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while reading.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }
}

/// The figures of `emr consume`'s summary line.
struct ConsumeFigures {
    var read = 0, batches = 0
    var activeSeconds = 0.0, decodeMs = 0.0, stageMs = 0.0, martsMs = 0.0, commitMs = 0.0, applyingCPUMs = 0.0, peakMB = 0.0

    init(_ line: String) throws {
        guard let head = line.firstMatch(of: /read (\d+) .* in (\d+) batches, .*first to last message ([0-9.]+) s/),
              let split = line.firstMatch(of: /decode ([0-9.]+) ms, stage ([0-9.]+) ms, marts ([0-9.]+) ms, commit ([0-9.]+) ms, applying CPU ([0-9.]+) ms; peak RSS ([0-9.]+) MB/) else {
            throw RuntimeFailure("cannot read the consumer's summary: \(line)")
        }
        read = Int(head.1) ?? 0
        batches = Int(head.2) ?? 0
        activeSeconds = Double(head.3) ?? 0
        (decodeMs, stageMs, martsMs, commitMs, applyingCPUMs, peakMB) = (Double(split.1) ?? 0, Double(split.2) ?? 0, Double(split.3) ?? 0,
                                                                        Double(split.4) ?? 0, Double(split.5) ?? 0, Double(split.6) ?? 0)
    }
}
