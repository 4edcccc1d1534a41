/// What a file is by its first bytes, never by its name: an upload declared as a PDF must begin as one.
public enum FileSignature: String, Sendable, CaseIterable {
    case pdf, mp4, webm, zip, png, jpeg, mp3

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .mp4: "video/mp4"
        case .webm: "video/webm"
        case .zip: "application/zip"
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .mp3: "audio/mpeg"
        }
    }

    public var description: String {
        switch self {
        case .pdf: "a PDF document"
        case .mp4: "an MP4 video"
        case .webm: "a WebM video"
        case .zip: "a ZIP archive"
        case .png: "a PNG image"
        case .jpeg: "a JPEG image"
        case .mp3: "an MP3 audio file"
        }
    }

    public static func detect(_ bytes: some Collection<UInt8>) -> FileSignature? {
        let head = Array(bytes.prefix(12))
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + prefix.count && Array(head[offset..<offset + prefix.count]) == prefix
        }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts(Array("ftyp".utf8), at: 4) { return .mp4 }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return .webm }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .zip }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("ID3".utf8)) || (head.count >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) { return .mp3 }
        return nil
    }
}

extension ContentKind {
    /// The file types an uploaded item of this kind may be; empty where the kind takes no file.
    public var acceptedFiles: Set<FileSignature> {
        switch self {
        case .video: [.mp4, .webm]
        case .document: [.pdf]
        case .xapi: [.zip]
        // A SCORM package is imported (checked, unpacked, its activities made items), not kept as a file.
        case .scorm, .cmi5, .web, .link, .assessment, .offline, .caseStudy, .lti: []
        }
    }
}
