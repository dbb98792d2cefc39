import Foundation
import Pipeline
import Synthea

/// Shows a run's progress: a redrawn status line on a terminal, a plain line every few seconds
/// otherwise (logs, CI). Writes to stderr so stdout stays for results.
final class ProgressDisplay {
    private let interactive = isatty(STDERR_FILENO) == 1
    private var lastPlain = ContinuousClock.now
    private var lastPhase = ""
    private let plainInterval: Duration

    init(plainInterval: Duration = .seconds(5)) {
        self.plainInterval = plainInterval
    }

    func show(_ p: ProduceProgress) {
        let line: String
        if p.total == 0 {
            line = "produce: \(p.phase)"
        } else {
            let entities = Entity.allCases.compactMap { e in p.sent[e].map { "\(e.rawValue) \($0)" } }.joined(separator: ", ")
            let eta = p.remainingSeconds.map { String(format: "ETA %.0fs", $0) } ?? "ETA -"
            line = String(format: "produce: %@ %d/%d (%.0f%%) %.0f rec/s %@ delivered %d failed %d | %@",
                          p.phase, p.sentTotal, p.total, 100 * Double(p.sentTotal) / Double(max(p.total, 1)),
                          p.rate, eta, p.delivered, p.failed, entities)
        }
        show(line: line, phase: p.phase)
    }

    func show(_ p: ConsumeProgress) {
        show(line: ConsumeReport.line(p), phase: "consume")
    }

    /// Redraws the status line (terminal) or prints it when the phase changed or every few seconds.
    func show(line: String, phase: String) {
        if interactive {
            write("\r\u{1B}[K" + line)
        } else if phase != lastPhase || ContinuousClock.now - lastPlain >= plainInterval {
            lastPlain = .now
            write(line + "\n")
        }
        lastPhase = phase
    }

    /// Ends the status line (on a terminal).
    func finish() {
        if interactive { write("\n") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
