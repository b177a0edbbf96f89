//! The data step: broken, binary, huge, hostile and very wide files, dropped files; the checks on
//! a sample, scrolling its rows, column types, and the steps that follow on it (cancelling a run, the
//! threshold, explaining, accessibility).

use super::{data_value, lower_the_threshold, save_screenshot, save_screenshot_at, wait_for, Session};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_csv_gets_a_clear_message_and_keeps_the_loaded_data() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='iris']").await.click().await.unwrap();
    wait_for(client, "#data-summary").await;

    let files = tempfile::tempdir().unwrap();
    let broken = files.path().join("broken <b>x.csv");
    std::fs::write(&broken, "a,b,c\n1,2,3\n4,5\n").unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(broken.to_str().unwrap()).await.unwrap();

    let message = wait_for(client, "#load-error").await.text().await.unwrap();
    assert!(message.contains("line 3: expected 3 fields (as in the header) but found 2"), "{message}");
    // The file name is shown as text, not markup.
    assert!(message.contains("broken <b>x.csv"), "{message}");
    // What was accepted before stays.
    let summary = wait_for(client, "#data-summary").await.text().await.unwrap();
    assert!(summary.contains("150 rows"), "{summary}");

    save_screenshot(client, "broken-csv.png").await;

    // A binary file (here the first bytes of a PNG) is refused with a reason.
    let binary = files.path().join("picture.csv");
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe").unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(binary.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='load-error'][contains(., 'not UTF-8')]"))
        .await
        .unwrap();

    // A 200 MB file is refused before it is read (a sparse file: no disk is used).
    let huge = files.path().join("huge.csv");
    std::fs::File::create(&huge).unwrap().set_len(200 * 1024 * 1024).unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(huge.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='load-error'][contains(., 'huge.csv is 200 MB')]"))
        .await
        .unwrap();

    // A hostile cell and a very wide header: the cell is shown as text (no element is made from
    // it) and a header of 10,000 columns loads without freezing the tab.
    let hostile = files.path().join("hostile.csv");
    let mut text = String::from("note,label");
    for i in 0..10_000 {
        text.push_str(&format!(",c{i}"));
    }
    text.push('\n');
    for row in 0..4 {
        text.push_str(&format!(
            "<script>window.pwned=1</script><img src=x onerror=window.pwned=1>,{}",
            row % 2
        ));
        text.push_str(&",1".repeat(10_000));
        text.push('\n');
    }
    std::fs::write(&hostile, text).unwrap();
    let input = wait_for(client, "#csv-file").await;
    input.send_keys(hostile.to_str().unwrap()).await.unwrap();
    client
        .wait()
        .for_element(Locator::XPath("//*[@id='data-summary'][contains(., '4 rows × 10,002 columns')]"))
        .await
        .unwrap();
    let cell = wait_for(client, "#preview tbody tr[data-row='0'] td").await.text().await.unwrap();
    assert_eq!(cell, "<script>window.pwned=1</script><img src=x onerror=window.pwned=1>");
    let injected = client
        .execute(
            "return document.querySelectorAll('#preview script, #preview img').length + (window.pwned ? 1000 : 0);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected.as_u64(), Some(0));

    // The 10,002 columns are shown 50 at a time; the next page shows the next columns' cells.
    let status = wait_for(client, "#data-pager .pager-status").await.text().await.unwrap();
    assert!(status.starts_with("Columns 1–50 of 10,002"), "{status}");
    let headers = client.find_all(Locator::Css("#preview thead th")).await.unwrap();
    assert_eq!(headers.len(), 51, "the row number and one page of columns");
    wait_for(client, "#data-pager .pager-next").await.click().await.unwrap();
    client.wait().for_element(Locator::XPath("//table[@id='preview']//th[text()='c48']")).await.unwrap();
    let status = wait_for(client, "#data-pager .pager-status").await.text().await.unwrap();
    assert!(status.starts_with("Columns 51–100 of 10,002"), "{status}");
    let types = client.find_all(Locator::Css("#columns tbody tr")).await.unwrap();
    assert_eq!(types.len(), 50);
    assert!(
        wait_for(client, "#columns tbody tr:first-child").await.attr("data-column").await.unwrap()
            == Some("c48".into())
    );
    save_screenshot(client, "data-wide.png").await;
    // Every constant column is a finding; the list stops at 100 and says how many it left out.
    let more = wait_for(client, "#more-findings").await.text().await.unwrap();
    assert!(more.contains("more findings"), "{more}");

    // A file dropped on the data step opens like a picked one.
    client
        .execute(
            "const dt = new DataTransfer();
             dt.items.add(new File(['hours,passed\\n1,no\\n2,no\\n3,yes\\n'], 'dropped.csv', { type: 'text/csv' }));
             document.getElementById('drop-zone').dispatchEvent(
               new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));",
            vec![],
        )
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::XPath(
            "//*[@id='data-summary'][contains(., 'dropped.csv: 3 rows × 2 columns')]",
        ))
        .await
        .unwrap();
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_point_out_the_learner_support_identifier_gaps_and_imbalance() {
    let session = Session::open().await;
    let client = &session.client;
    wait_for(client, "button[data-dataset='learner_support']").await.click().await.unwrap();
    let id =
        wait_for(client, "#validation-findings li[data-column='learner_id']").await.text().await.unwrap();
    assert!(id.contains("looks like an identifier"), "{id}");
    let gaps =
        wait_for(client, "#validation-findings li[data-column='avg_quiz_score']").await.text().await.unwrap();
    assert!(gaps.contains("missing in 308 rows (6.2%)"), "{gaps}");
    let balance =
        wait_for(client, "#validation-findings li[data-column='needs_support']").await.text().await.unwrap();
    assert!(balance.contains("balanced accuracy"), "{balance}");
    save_screenshot(client, "learner-support-checks.png").await;

    // At 1,280 px the Prepare step's table fits its box: every column's controls (up to the bins)
    // can be seen without scrolling sideways, however long what a column "becomes" reads.
    client.set_window_size(1280, 900).await.unwrap();
    wait_for(
        client,
        "#prep-table tr[data-column='avg_quiz_score'] select[aria-label='bins for avg_quiz_score']",
    )
    .await;
    let fits = client
        .execute(
            "const t = document.querySelector('#prep-table');
             return [t.scrollWidth, t.parentElement.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (table, frame) = (fits[0].as_u64().unwrap(), fits[1].as_u64().unwrap());
    assert!(table <= frame, "the Prepare table is {table} px wide in a {frame} px box at 1,280 px");
    save_screenshot(client, "prepare-learner-support.png").await;

    // Every row can be reached by scrolling: the last of 5,000 appears, fetched from the worker.
    client
        .execute(
            "const s = document.querySelector('#rows-scroll'); s.scrollTop = s.scrollHeight;
             s.dispatchEvent(new Event('scroll'));",
            vec![],
        )
        .await
        .unwrap();
    let last = wait_for(client, "#preview tbody tr[data-row='4999']").await.text().await.unwrap();
    assert!(last.starts_with("5000") && last.contains("L05000"), "{last}");

    // A column's type can be changed to one its values allow, and only to those.
    let cohort = "#columns tr[data-column='cohort'] .kind-select";
    let offered: Vec<String> = client
        .execute(
            &format!("return [...document.querySelector(\"{cohort}\").options].map(o => o.value);"),
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(offered, ["categorical", "text"]);
    wait_for(client, cohort).await.select_by_value("text").await.unwrap();
    client
        .wait()
        .for_element(Locator::Css("#columns tr[data-column='cohort'] option[value='text']:checked"))
        .await
        .unwrap();

    // Training runs in the worker with a progress bar and a cancel button; a cancelled run says so,
    // and the next one works (a fresh worker has the same data, types included).
    wait_for(client, "#model-select").await.select_by_value("random forest").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    wait_for(client, "#train-progress").await;
    save_screenshot(client, "training-progress.png").await;
    wait_for(client, "#cancel-button").await.click().await.unwrap();
    let error = wait_for(client, "#train-error").await.text().await.unwrap();
    assert!(error.contains("Cancelled"), "{error}");
    wait_for(client, "#model-select").await.select_by_value("logistic regression").await.unwrap();
    wait_for(client, "#train-button").await.click().await.unwrap();
    let accuracy = data_value(client, "#result-accuracy").await;
    assert!(accuracy > 0.5, "{accuracy}");

    // Two classes: the threshold slider moves recall and the confusion matrix live. A lower
    // threshold calls more rows positive, so recall cannot fall; the matrix still counts every
    // test row (a stratified 20% of 5,000).
    lower_the_threshold(client).await;
    save_screenshot(client, "threshold.png").await;

    // Look deeper: importance per input column, scores per group with the gaps, and latency.
    wait_for(client, "#group-select").await.select_by_value("group").await.unwrap();
    wait_for(client, "#explain-button").await.click().await.unwrap();
    let gaps = wait_for(client, "#group-gaps").await.text().await.unwrap();
    assert!(gaps.contains("demographic parity difference"), "{gaps}");
    let groups = client.find_all(Locator::Css("#group-table tbody tr")).await.unwrap();
    assert_eq!(groups.len(), 3, "three groups");
    let importance = client.find_all(Locator::Css("#importance-table tbody tr")).await.unwrap();
    assert!(importance.len() >= 5, "{} columns", importance.len());
    let latency = wait_for(client, "#latency").await.text().await.unwrap();
    assert!(latency.contains("µs"), "{latency}");
    save_screenshot(client, "explain.png").await;

    // Every control on the full page has a name a screen reader reads out and is reachable with
    // the keyboard (no negative tabindex); every chart has a text alternative.
    let unnamed = client
        .execute(
            "const bad = [];
             for (const e of document.querySelectorAll('input, select, textarea, button, a[href]')) {
               if (e.type === 'hidden') continue;
               const labelled = [...(e.labels || [])].some(l => l.textContent.trim());
               const named = e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || labelled
                 || (e.tagName !== 'INPUT' && e.tagName !== 'SELECT' && e.textContent.trim()) || e.title;
               if (!named || e.tabIndex < 0) bad.push(e.outerHTML.slice(0, 160));
             }
             for (const c of document.querySelectorAll('canvas')) {
               if (c.getAttribute('role') !== 'img' || !c.getAttribute('aria-label')) bad.push(c.outerHTML.slice(0, 160));
             }
             return bad;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unnamed, serde_json::json!([]), "controls without a name, or out of the keyboard's reach");
    // Readable at 1,024 px: the page itself never scrolls sideways (wide tables scroll in their box).
    save_screenshot_at(client, "width-1024.png", 1024).await;
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(overflow.as_i64().is_some_and(|o| o <= 0), "the page is {overflow} px wider than 1,024 px");
    session.close().await;
}
