//! `shequn new DIR`: a small working starter site in English, Simplified or Traditional
//! Chinese. It refuses a non-empty folder. The files are plain text kept here so that
//! the binary needs nothing else.

use std::path::Path;

use crate::load::io_reason;
use crate::model::Language;

struct Texts {
    name: &'static str,
    tagline: &'static str,
    purpose: &'static str,
    manifesto: &'static str,
    rule_title: &'static str,
    rule_text: &'static str,
    member_name: &'static str,
    event_title: &'static str,
    event_summary: &'static str,
    intro: &'static str,
    timezone: &'static str,
}

fn texts(language: Language) -> Texts {
    match language {
        Language::En => Texts {
            name: "Our Community",
            tagline: "People who learn together.",
            purpose: "We meet every week to learn from each other and from guests.",
            manifesto: "## Why we exist\n\nWrite your manifesto here.\n",
            rule_title: "Be kind",
            rule_text: "Disagree with ideas, never with people.",
            member_name: "Your Name",
            event_title: "Our first meetup",
            event_summary: "Say hello and plan the year.",
            intro: "Welcome! Edit `content/_index.md` to change this text.\n",
            timezone: "UTC",
        },
        Language::ZhHans => Texts {
            name: "我们的社群",
            tagline: "一起学习的人。",
            purpose: "我们每周相聚，向彼此学习，也向嘉宾学习。",
            manifesto: "## 我们为什么存在\n\n在这里写下你们的宣言。\n",
            rule_title: "友善待人",
            rule_text: "对事不对人。",
            member_name: "你的名字",
            event_title: "第一次聚会",
            event_summary: "认识彼此，规划新的一年。",
            intro: "欢迎！编辑 `content/_index.md` 修改这段文字。\n",
            timezone: "Asia/Shanghai",
        },
        Language::ZhHant => Texts {
            name: "我們的社群",
            tagline: "一起學習的人。",
            purpose: "我們每週相聚，向彼此學習，也向嘉賓學習。",
            manifesto: "## 我們為什麼存在\n\n在這裡寫下你們的宣言。\n",
            rule_title: "友善待人",
            rule_text: "對事不對人。",
            member_name: "你的名字",
            event_title: "第一次聚會",
            event_summary: "認識彼此，規劃新的一年。",
            intro: "歡迎！編輯 `content/_index.md` 修改這段文字。\n",
            timezone: "Asia/Taipei",
        },
    }
}

/// The files of a starter site, path → text.
pub fn starter_files(language: Language) -> Vec<(&'static str, String)> {
    let t = texts(language);
    vec![
        (
            "shequn.toml",
            format!(
                "base_url = \"https://example.org/\"\nlanguage = \"{}\"\ntimezone = \"{}\"\n",
                language.code(),
                t.timezone
            ),
        ),
        (
            "charter.md",
            format!(
                "+++\nname = \"{}\"\ntagline = \"{}\"\npurpose = \"{}\"\n\n[[roles]]\nid = \"organiser\"\ntitle = \"Organiser\"\n\n[[roles]]\nid = \"member\"\ntitle = \"Member\"\n\n[[rules]]\nid = \"kind\"\ntitle = \"{}\"\ntext = \"{}\"\n+++\n{}",
                t.name, t.tagline, t.purpose, t.rule_title, t.rule_text, t.manifesto
            ),
        ),
        ("members/you.toml", format!("name = \"{}\"\nrole = \"organiser\"\n", t.member_name)),
        (
            "events/first-meetup.toml",
            format!(
                "title = \"{}\"\nstart = 2030-01-15T19:00:00\nend = 2030-01-15T21:00:00\nhosts = [\"you\"]\nsummary = \"{}\"\nonline_url = \"https://example.org/meet\"\n",
                t.event_title, t.event_summary
            ),
        ),
        ("content/_index.md", format!("+++\ntitle = \"{}\"\n+++\n{}", t.name, t.intro)),
        ("static/.gitkeep", String::new()),
    ]
}

/// Writes a starter site into `dir`, which must be missing or empty.
pub fn create(dir: &Path, language: Language) -> Result<(), String> {
    if dir.exists() {
        let is_empty = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {}", dir.display(), io_reason(&e)))?
            .next()
            .is_none();
        if !is_empty {
            return Err(format!(
                "{} is not empty; `shequn new` only writes into a new or empty folder",
                dir.display()
            ));
        }
    }
    for (path, text) in starter_files(language) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {}", parent.display(), io_reason(&e)))?;
        }
        std::fs::write(&target, text)
            .map_err(|e| format!("cannot write {}: {}", target.display(), io_reason(&e)))?;
    }
    Ok(())
}
