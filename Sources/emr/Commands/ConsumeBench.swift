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

            With --compare-patients N (flat cost): a second export of N patients on a broker of \
            its own; each run applies one size, then the other, and the ratio of the two medians \
            is printed with the larger size's peak RSS.

            With --rate R (latency): the consumer starts first and waits, ready; the export is then \
            published at a steady R records/s; once everything is applied the consumer is stopped \
            and the time from each record's Kafka timestamp to the commit of the batch that \
            applied it is printed (p50, p99, max).

            Examples:
              emr bench consume
              emr bench consume --patients 6000 --partitions 48
              emr bench consume --patients 100 --rate 1000
              emr bench consume --runs 5
              emr bench consume --compare-patients 6000 --partitions 48 --runs 3
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

    @Option(name: .long, help: ArgumentHelp("Also run over an export of this many patients (its own broker, same --seed and --partitions), alternating with --patients run by run; prints the ratio of the two medians (flat cost).", valueName: "n"))
    var comparePatients: Int?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try OptionChecks.check(patients, "--patients", 1...1_000_000)
        try OptionChecks.check(rate, "--rate", 1...1_000_000, unit: " records/s")
        try OptionChecks.check(partitions, "--partitions", 1...1_000)
        try OptionChecks.check(batchSize, "--batch-size", 1...1_000_000)
        try OptionChecks.check(workers, "--workers", 1...256)
        try OptionChecks.check(runs, "--runs", 1...100)
        try OptionChecks.check(comparePatients, "--compare-patients", 1...1_000_000)
        if rate != nil, comparePatients != nil { throw ValidationError("--compare-patients applies to the throughput run, not to --rate") }
        if rate != nil, runs != 1 { throw ValidationError("--runs applies to the throughput run, not to --rate") }
    }

    func run() throws {
        let logger = logging.makeLogger("emr.bench")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emr-consume-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let sizes = [patients] + (comparePatients.map { [$0] } ?? [])
        let subjects = try sizes.map { try BenchTopics(patients: $0, seed: seed, partitions: partitions, directory: "\(work)/p\($0)", logger: logger) }
        if let rate {
            try latency(subjects[0], rate: rate, logger: logger)
            return
        }

        var produced: [Int] = [], rawRates: [Double] = []
        for subject in subjects {
            let count = try subject.publish(rate: nil, logger: logger)
            produced.append(count)
            print("produced \(count) records\(label(subject)) to \(subject.catalog.rawTopicsByEntity.count) raw topics")
            let raw = try subject.rawRead(expected: count, logger: logger)
            rawRates.append(Double(raw.count) / max(raw.seconds, 1e-9))
            print(String(format: "(a) raw read%@ (project's consumer, nothing applied): %d messages in %.2f s = %.0f msg/s",
                         label(subject), raw.count, raw.seconds, rawRates.last!))
        }

        // Run by run, each size in turn: a shared host's slow minutes fall on both sizes alike.
        var rates = Array(repeating: RunFigures(), count: subjects.count), peaks = rates
        for run in 1...runs {
            for (index, subject) in subjects.enumerated() {
                let figures = try consume(subject, run: run)
                rates[index].append(figures.rate)
                peaks[index].append(figures.peakMB)
                try verify(subject, run: run, read: figures.read, produced: produced[index])
            }
        }
        for (index, subject) in subjects.enumerated() {
            let (low, high) = rates[index].range
            if runs > 1 {
                print(String(format: "(b) median of %d runs%@: %.0f records/s (%.0f to %.0f); peak RSS up to %.0f MB",
                             runs, label(subject), rates[index].median, low, high, peaks[index].range.high))
            }
            print(String(format: "ratio consume/raw read%@: %.4f", label(subject), rates[index].median / rawRates[index]))
        }
        if subjects.count == 2 {
            print(String(format: "flat cost: %d-patient median / %d-patient median = %.2f (runs alternated; goal 0.8); peak RSS at %d patients up to %.0f MB (goal 150)",
                         subjects[1].patients, subjects[0].patients, rates[1].median / max(rates[0].median, 1e-9),
                         subjects[1].patients, peaks[1].range.high))
        }
        withExtendedLifetime(subjects) {}
    }

    /// " at N patients" when two sizes are compared, else nothing.
    private func label(_ subject: BenchTopics) -> String {
        comparePatients == nil ? "" : " at \(subject.patients) patients"
    }

    /// One throughput run of `emr consume --exit-when-caught-up` over the subject's topics.
    private func consume(_ subject: BenchTopics, run: Int) throws -> ConsumeFigures {
        let child = try runChild(consumeArguments(subject, run: run) + ["--exit-when-caught-up", "--quiet-period", "1"])
        guard child.status == 0, let line = child.stdout.split(separator: "\n").last(where: { $0.hasPrefix("consume: read") }) else {
            throw RuntimeFailure("emr consume exited \(child.status): \(child.stderr.suffix(2_000))")
        }
        let figures = try ConsumeFigures(String(line))
        print(String(format: "(b) emr consume%@%@: %d records in %.2f s (first to last message) = %.0f records/s; %d batches; peak RSS %.0f MB",
                     label(subject), runs > 1 ? " (run \(run) of \(runs))" : "", figures.read, figures.activeSeconds, figures.rate,
                     figures.batches, figures.peakMB))
        print(String(format: "    per batch: decode %.2f ms, stage %.2f ms, marts %.2f ms, commit %.2f ms; applying thread's CPU %.2f ms",
                     figures.decodeMs, figures.stageMs, figures.martsMs, figures.commitMs, figures.applyingCPUMs))
        return figures
    }

    /// `emr consume`'s arguments for run `run`: its own state file (or task directory) and group.
    private func consumeArguments(_ subject: BenchTopics, run: Int) -> [String] {
        ["consume", "--group", "emr-bench-consume-\(run)"] + subject.consumeArguments
            + (batchSize.map { ["--batch-size", String($0)] } ?? [])
            + (workers.map { ["--state-dir", stateDirectory(subject, run: run), "--workers", String($0)] } ?? ["--state", statePath(subject, run: run)])
    }

    private func statePath(_ subject: BenchTopics, run: Int) -> String { "\(subject.directory)/state-\(run).sqlite" }
    private func stateDirectory(_ subject: BenchTopics, run: Int) -> String { "\(subject.directory)/tasks-\(run)" }

    /// Verifies run `run`'s state, then removes it (a 6000-patient state is about 500 MB).
    private func verify(_ subject: BenchTopics, run: Int, read: Int, produced: Int) throws {
        let files = try stateFiles(subject, run: run)
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
    private func latency(_ subject: BenchTopics, rate: Double, logger: Logger) throws {
        let ready = "\(subject.directory)/ready"
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = consumeArguments(subject, run: 1) + ["--ready-file", ready]
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
        let produced = try subject.publish(rate: rate, logger: logger)
        print(String(format: "produced %d records in %.1f s", produced, Date().timeIntervalSince(started)))
        // Everything applied: the state file's counter says so.
        var read: Int64 = 0
        let files = { (try? stateFiles(subject, run: 1)) ?? [] }
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
        try verify(subject, run: 1, read: figures.read, produced: produced)
    }

    /// The state files of run `run`: its state file, or its task files.
    private func stateFiles(_ subject: BenchTopics, run: Int) throws -> [String] {
        guard workers != nil else { return [statePath(subject, run: run)] }
        return try TaskFiles.names(in: stateDirectory(subject, run: run)).map { TaskFiles.path(of: $0, in: stateDirectory(subject, run: run)) }
    }

    static func executable() throws -> URL {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard FileManager.default.isExecutableFile(atPath: own.path) else { throw RuntimeFailure("cannot find this emr binary") }
        return own
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
