# language: zh-CN
功能: 地方工作日与境外日历
  作为起草规则的人，我可以在全国节假日安排之上写明本地的休息日和调休上班日；
  审计境外的办件记录时，按当地的周末和公共假日、在当地时区计算期限。

  场景: 地方节日休息一天，工作日期限随之顺延；地方调休上班日照常计算
    假如 适用如下政策:
      """
      policy local "地方工作日示例"
      version "1" effective 2024-01-01
      source "示例"
      calendar national "某市工作日" {
        rest 2025-03-10 "地方节日"
        work 2025-03-16 "地方调休上班"
      }
      activity 收件 "收件"
      activity 办结 "办结"
      ladder 问责 "问责" { 提醒 < 批评 }
      clock 工作日 "5个工作日" {
        start at 收件
        stop at 办结
        limit 5 workdays
      }
      """
    而且 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit
      L1,E1,2025-03-06T09:00:00,收件,S01,,承办人,审批科
      L2,E2,2025-03-12T09:00:00,收件,S01,,承办人,审批科
      """
    当 我以 2025-06-30 为审计日进行审计
    那么 案件 L1 的 工作日 期限届满日为 2025-03-14，状态为 overdue
    而且 案件 L2 的 工作日 期限届满日为 2025-03-18，状态为 overdue

  场景: 意大利的办件按罗马时间和意大利公共假日计算；夏令时开始的那天 24 小时仍是 24 小时
    假如 适用如下政策:
      """
      policy abroad "境外办件示例"
      version "1" effective 2024-01-01
      source "示例"
      calendar weekends_plus "意大利公共假日" zone "Europe/Rome" covers 2025..2025 {
        holiday 2025-04-21 "Lunedì dell'Angelo"
        holiday 2025-04-25 "Festa della Liberazione"
        holiday 2025-05-01 "Festa del Lavoro"
      }
      activity 收件 "收件"
      activity 办结 "办结"
      ladder 问责 "问责" { 提醒 < 批评 }
      clock 工作日 "5个工作日" {
        start at 收件
        stop at 办结
        limit 5 workdays
      }
      clock 小时 "24小时" {
        start at 收件
        stop at 办结
        limit 24 hours
      }
      """
    而且 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit
      I1,E1,2025-04-17T23:30:00+02:00,收件,S01,,承办人,审批科
      I2,E2,2025-03-29T12:00:00+01:00,收件,S01,,承办人,审批科
      I2,E3,2025-03-30T12:30:00+02:00,办结,S01,,承办人,审批科
      """
    当 我以 2025-06-30 为审计日进行审计
    那么 案件 I1 的 工作日 期限届满日为 2025-04-28，状态为 overdue
    而且 案件 I2 的 小时 期限届满时间为 2025-03-30T13:00+02:00，状态为 met

  场景: 境外日历所列年份以外的期限为暂定
    假如 适用如下政策:
      """
      policy abroad "境外办件示例"
      version "1" effective 2024-01-01
      source "示例"
      calendar weekends_plus "意大利公共假日" zone "Europe/Rome" covers 2025..2025 {
        holiday 2025-12-25 "Natale"
      }
      activity 收件 "收件"
      activity 办结 "办结"
      ladder 问责 "问责" { 提醒 < 批评 }
      clock 工作日 "5个工作日" {
        start at 收件
        stop at 办结
        limit 5 workdays
      }
      """
    而且 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit
      I3,E1,2025-12-29T10:00:00+01:00,收件,S01,,承办人,审批科
      I4,E2,2025-12-01T10:00:00+01:00,收件,S01,,承办人,审批科
      """
    当 我以 2026-03-31 为审计日进行审计
    那么 案件 I3 的 工作日 期限届满日为 2026-01-05，状态为 overdue
    而且 案件 I3 的 工作日 期限为暂定
    而且 案件 I4 的 工作日 期限届满日为 2025-12-08，状态为 overdue
