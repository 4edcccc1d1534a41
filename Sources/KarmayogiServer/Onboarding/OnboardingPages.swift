import Fluent
import Foundation
import Vapor

/// The admin's view of bulk onboarding: the upload form, recent uploads, and one upload's live results.
struct OnboardingPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.on(.POST, "admin", "uploads", body: .collect(maxSize: "64mb"), use: Self.upload)
        routes.get("admin", "uploads", ":uploadId", use: Self.progress)
    }

    static func uploadSection(_ request: Request, organisation: Organisation, principal: Principal) async throws -> HTML {
        let t = request.catalogue
        let uploads = try await BulkUploads.recent(in: organisation.id!, for: principal, limit: 5, on: request.db)
        let rows: [HTML] = uploads.map { upload in
            """
            <tr><td><a href="/admin/uploads/\(upload.id!.uuidString)?org=\(organisation.id!.uuidString)">\(upload.fileName)</a></td>\
            <td>\(t("upload.status.\(upload.status.rawValue)"))</td><td>\(upload.done) / \(upload.total)</td>\
            <td>\(upload.created)</td><td>\(upload.skipped)</td><td>\(upload.failed)</td></tr>
            """
        }
        return """
            <details class="card"><summary>\(t("upload.title"))</summary>
            <p class="muted">\(t("upload.help"))</p>
            <form method="post" action="/admin/uploads?org=\(organisation.id!.uuidString)" enctype="multipart/form-data">
            \(request.csrfField)
            <label for="f">\(t("upload.file"))</label><input id="f" type="file" name="file" accept=".csv,text/csv" required>
            <p><button>\(t("upload.submit"))</button></p>
            </form>
            \(rows.isEmpty ? "" : """
              <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("upload.file"))</th><th>\(t("field.status"))</th><th>\(t("upload.done"))</th>\
              <th>\(t("upload.created"))</th><th>\(t("upload.skipped"))</th><th>\(t("upload.failed"))</th></tr></thead><tbody>\(rows)</tbody></table></div>
              """ as HTML)
            </details>
            """
    }

    struct UploadForm: Content { var file: File }

    @Sendable static func upload(_ request: Request) async throws -> Response {
        let principal = try request.pagePrincipal()
        let organisation = try await PeoplePages.organisation(request, principal: principal)
        guard let form = try? request.content.decode(UploadForm.self) else {
            throw Problem.invalid("file", request.catalogue("upload.chooseFile"))
        }
        let upload = try await BulkUploads.accept(Array(form.file.data.readableBytesView), fileName: form.file.filename,
                                                  into: organisation.id!, by: principal, app: request.application, on: request.db)
        return request.redirect(to: "/admin/uploads/\(upload.id!.uuidString)?org=\(organisation.id!.uuidString)")
    }

    @Sendable static func progress(_ request: Request) async throws -> HTML {
        let principal = try request.pagePrincipal()
        let t = request.catalogue
        let organisation = try await PeoplePages.organisation(request, principal: principal)
        let upload = try await BulkUploads.find(try request.id("uploadId", of: "upload"), in: organisation.id!, for: principal, on: request.db)
        let errorsFrom = request.query[Int.self, at: "from"] ?? 0
        let dto = try await BulkUploads.dto(upload, errorsFrom: errorsFrom, errorLimit: 500, on: request.db)
        let running = upload.status == .queued || upload.status == .running
        let errors: [HTML] = (dto.errors ?? []).map { error in
            let reason = error.code.map { t("upload.reason.\($0)", error.values ?? [:]) } ?? error.reason
            return "<tr><td>\(error.line)</td><td><code>\(error.column ?? "—")</code></td><td>\(reason)</td></tr>"
        }
        let more: HTML = (dto.errors?.count ?? 0) == 500
            ? "<p><a href=\"?org=\(organisation.id!.uuidString)&from=\((dto.errors?.last?.line ?? 0) + 1)\">\(t("list.next"))</a></p>" : ""
        return Layout.page(t("upload.resultTitle", ["file": upload.fileName]), for: request, """
            \(running ? "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>" as HTML : "")
            <div class="card" role="status" aria-live="polite"\(running ? " data-live" : "" as HTML)>
            <p><strong>\(t("upload.status.\(upload.status.rawValue)"))</strong> — \(t("upload.progress", ["done": String(upload.done), "total": String(upload.total)]))</p>
            <progress max="\(max(upload.total, 1))" value="\(upload.done)"></progress>
            <p>\(t("upload.created")): <strong>\(upload.created)</strong> · \(t("upload.skipped")): <strong>\(upload.skipped)</strong> · \
            \(t("upload.failed")): <strong>\(upload.failed)</strong></p>
            \(upload.failure.map { "<p class=\"error\">\($0)</p>" as HTML } ?? "")
            </div>
            <h2>\(t("upload.rowResults", ["count": String(dto.errorCount ?? 0)]))</h2>
            <div class="scroll" tabindex="0"><table><thead><tr><th>\(t("upload.line"))</th><th>\(t("upload.column"))</th><th>\(t("upload.reason"))</th></tr></thead>
            <tbody>\(errors)</tbody></table></div>
            \(more)
            <p><a href="/admin/users?org=\(organisation.id!.uuidString)">\(t("upload.back"))</a></p>
            <script src="\(Assets.url("admin.js"))" defer></script>
            """)
    }
}
