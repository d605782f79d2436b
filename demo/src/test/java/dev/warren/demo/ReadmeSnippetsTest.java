package dev.warren.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and of the guides in docs/ compiles against Warren and
 * amqp-client, without a deprecation warning: the documents stay the single source of their
 * snippets, and a renamed or removed method breaks the build instead of the reader's first try.
 *
 * <p>A block is a run of statements. It is compiled as the body of a method that may throw,
 * in a class of its own that imports {@code dev.warren.*}, {@code com.rabbitmq.client.*},
 * {@code java.time.*}, {@code java.util.*} and {@code java.util.concurrent.*}, and has fields a
 * snippet may use without declaring them: {@code conn} (a {@code BlockingConnection}),
 * {@code ch} (a {@code BlockingChannel}), {@code connection} and {@code channel} (amqp-client's).
 * A snippet that declares its own variable of such a name shadows the field.
 */
class ReadmeSnippetsTest {
    /** A fenced block, at the start of a line or indented under a list item (group 1, stripped from each line). */
    private static final Pattern JAVA_BLOCK = Pattern.compile("(?m)^([ \\t]*)```java[ \\t]*\\n(.*?)^\\1```[ \\t]*$",
            Pattern.DOTALL);
    private static final String HEADER = """
            import com.rabbitmq.client.*;
            import dev.warren.*;
            import dev.warren.Delivery;
            import java.nio.charset.StandardCharsets;
            import java.time.*;
            import java.util.*;
            import java.util.concurrent.*;
            @SuppressWarnings("unused")
            class %s {
                static BlockingConnection conn;
                static BlockingChannel ch;
                static Connection connection;
                static Channel channel;
                static void snippet() throws Exception {
            """;
    private static final int HEADER_LINES = (int) HEADER.lines().count();

    /** A ```java block: the document it is in (relative to the project), its text and the line it starts on. */
    record Snippet(String file, int index, int firstLine, String code) {
        String className() {
            return "ReadmeSnippet" + index;
        }

        /**
         * The class to compile. A block may begin with imports of its own (the Spring Boot
         * one): they go before the header, and the line numbers stay as they were.
         */
        String source() {
            List<String> lines = code.lines().toList();
            int imports = 0;
            while (imports < lines.size() && (lines.get(imports).startsWith("import ") || lines.get(imports).isBlank())) {
                imports++;
            }
            String own = lines.subList(0, imports).stream().map(l -> l + "\n").collect(Collectors.joining());
            String body = lines.subList(imports, lines.size()).stream().collect(Collectors.joining("\n", "", "\n"));
            return own + HEADER.formatted(className()) + body + "\n    }\n}\n";
        }

        /** The document's line of a line of {@link #source()}. */
        long readmeLine(long sourceLine) {
            return firstLine + (sourceLine - HEADER_LINES - 1);
        }
    }

    static List<Snippet> snippets(String markdown) {
        return snippets("README.md", markdown, 1);
    }

    /** The blocks of {@code markdown}, from {@code file}, numbered from {@code first} on. */
    static List<Snippet> snippets(String file, String markdown, int first) {
        List<Snippet> out = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(markdown);
        while (m.find()) {
            int line = (int) markdown.substring(0, m.start(2)).chars().filter(c -> c == '\n').count() + 1;
            String indent = m.group(1);
            out.add(new Snippet(file, first + out.size(), line, m.group(2).lines()
                    .map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
                    .collect(java.util.stream.Collectors.joining("\n", "", "\n"))));
        }
        return out;
    }

    /** The project's folder: the one above this module's with README.md and demo/ in it. */
    private static Path project() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("demo"))) {
                return dir;
            }
        }
        throw new IllegalStateException("README.md not found above " + Path.of("").toAbsolutePath());
    }

    /** The blocks of README.md, then of every docs/*.md in name order. */
    private static List<Snippet> allSnippets() throws IOException {
        Path project = project();
        List<Path> documents = new ArrayList<>(List.of(project.resolve("README.md")));
        try (var docs = Files.list(project.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        List<Snippet> all = new ArrayList<>();
        for (Path doc : documents) {
            all.addAll(snippets(project.relativize(doc).toString(), Files.readString(doc), all.size() + 1));
        }
        return all;
    }

    @Test
    void extractionFindsEachBlockWithItsLine() {
        List<Snippet> s = snippets("intro\n```java\nint a = 1;\n```\ntext\n```\nnot java\n```\n```java\nint b;\nint c;\n```\n");
        assertThat(s).extracting(Snippet::firstLine).containsExactly(3, 10);
        assertThat(s).extracting(Snippet::code).containsExactly("int a = 1;\n", "int b;\nint c;\n");
    }

    @Test
    @Timeout(120)
    void everyJavaBlockOfTheReadmeAndTheDocsCompilesWithoutDeprecatedNames(@TempDir Path out) throws IOException {
        List<Snippet> snippets = allSnippets();
        assertThat(snippets).filteredOn(s -> s.file().equals("README.md")).as("```java blocks in README.md")
                .hasSizeGreaterThanOrEqualTo(2);
        assertThat(snippets).filteredOn(s -> s.file().startsWith("docs")).as("```java blocks in docs/")
                .hasSizeGreaterThanOrEqualTo(8);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK with javac runs the tests").isNotNull();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> sources = snippets.stream().map(ReadmeSnippetsTest::source).collect(Collectors.toList());
        boolean ok;
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = new ArrayList<>();
            // On a Java 21 runtime (the JDK 21 leg's JRE has no --release data) its own classes are release 21.
            if (Runtime.version().feature() != 21) {
                options.addAll(List.of("--release", "21"));
            }
            options.addAll(List.of("-proc:none", "-Xlint:deprecation,removal", "-Werror", "-classpath", classPath,
                    "-d", out.toString()));
            ok = javac.getTask(null, files, diagnostics, options, null, sources).call();
        }
        String report = diagnostics.getDiagnostics().stream()
                .map(d -> describe(snippets, d))
                .collect(Collectors.joining("\n"));
        assertThat(ok).as("README.md snippets compile:%n%s", report).isTrue();
        assertThat(report).as("compiler warnings").isEmpty();
    }

    private static JavaFileObject source(Snippet s) {
        return new SimpleJavaFileObject(URI.create("string:///" + s.className() + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return s.source();
            }
        };
    }

    private static String describe(List<Snippet> snippets, Diagnostic<? extends JavaFileObject> d) {
        String where = "";
        if (d.getSource() != null) {
            String name = new File(d.getSource().toUri().getPath()).getName().replace(".java", "");
            for (Snippet s : snippets) {
                if (s.className().equals(name)) {
                    where = s.file() + ":" + s.readmeLine(d.getLineNumber()) + " (block " + s.index() + "): ";
                }
            }
        }
        return where + d.getKind() + " " + d.getMessage(Locale.ROOT);
    }
}
