//! Template lookup (site `templates/`, then `themes/NAME/`, then built-in), `[extra]`
//! reaching templates, and Tera errors reported at the template's path.

use crate::support::{assert_contains, assert_lacks, Site};

#[test]
fn site_template_overrides_the_theme() {
    let run = Site::fixture("template-override").build().ok();
    let hello = run.page("/hello/");
    assert_contains(
        &hello,
        r#"<p class="site-page-override">Hello / PAGE-EXTRA / SITE-EXTRA</p>"#,
    );
    assert_contains(&hello, "<p>Hello body.</p>");
    // Pages without an override keep the built-in templates (and the built-in base).
    assert_contains(&run.page("/rules/"), r#"href="/assets/shequn.css""#);
}

#[test]
fn extra_tables_reach_the_templates() {
    let run = Site::fixture("template-override").build().ok();
    for (url, mark) in [
        ("/members/ada/", "MEMBER-EXTRA"),
        ("/speakers/grace/", "SPEAKER-EXTRA"),
        ("/chapters/berlin/", "CHAPTER-EXTRA"),
        ("/series/weekly/", "SERIES-EXTRA"),
        ("/events/meetup/", "EVENT-EXTRA"),
    ] {
        assert_contains(
            &run.page(url),
            &format!(r#"<p class="override">{mark}</p>"#),
        );
    }
}

#[test]
fn local_theme_templates_static_and_strings_are_used() {
    let run = Site::fixture("local-theme").build().ok();
    assert_contains(
        &run.page("/hello/"),
        r#"<p class="local-theme-page">Hello</p>"#,
    );
    // The site's own `templates/` comes before the theme's.
    let rules = run.page("/rules/");
    assert_contains(&rules, r#"<p class="site-rules">site rules</p>"#);
    assert_lacks(&rules, "local-theme-rules");
    // The theme's static files and UI strings.
    assert!(run.output.join("css/mine.css").is_file());
    assert_contains(&run.page("/manifesto/"), "Our Theme Manifesto");
}

#[test]
fn template_syntax_error_names_the_template() {
    let site = Site::fixture("template-syntax-error");
    let run = site.build().fails();
    assert_contains(&run.stderr, "templates/page.html:4:19:");
    assert!(!site.public().exists());
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn charter_roles_reach_the_templates_with_their_descriptions() {
    let run = Site::fixture("template-override").build().ok();
    let manifesto = run.page("/manifesto/");
    assert_contains(
        &manifesto,
        r#"<li class="role">organiser: Organiser / Runs the meetups.</li>"#,
    );
}

#[test]
fn template_errors_in_a_local_theme_name_the_theme_file() {
    let site = Site::fixture("local-theme");
    site.write(
        "themes/mine/templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}{% for x in %}{% endblock content %}\n",
    );
    let run = site.build().fails();
    assert_contains(&run.stderr, "themes/mine/templates/page.html:2:32:");
    // An unknown filter is found when the templates are compiled, at its own column.
    site.write(
        "themes/mine/templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}{{ page.title | nosuchfilter }}{% endblock content %}\n",
    );
    let run = site.build().fails();
    assert_contains(&run.stderr, "themes/mine/templates/page.html:2:36:");
    assert_contains(&run.stderr, "unknown filter `nosuchfilter`");
    // A render-time error (a field the page does not have) names the template and the page.
    site.write(
        "themes/mine/templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}{{ page.nosuchfield }}{% endblock content %}\n",
    );
    let run = site.build().fails();
    assert_contains(&run.stderr, "themes/mine/templates/page.html:2:28:");
    assert_contains(&run.stderr, "hello/index.html");
    assert_contains(&run.stderr, "`nosuchfield` is not defined");
    assert!(!site.public().exists());
}
