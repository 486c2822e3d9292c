# language: zh-CN
功能: 问责到人 —— 谁来承担、承担什么责任、处理多重、适用哪个版本
  作为纪检监察人员，我要求每一条问题都点名到人：期限届满时的承办人承担直接责任，
  当时的单位领导承担领导责任，集体决策按表决意见区分责任，没人可问的也要列出来。

  背景:
    假如 适用行政许可时限政策
    而且 人员名册如下:
      """
      person,name,unit,post,leader_role,area,valid_from,valid_to
      L1,王局长,审批科,科长,主要负责人,,2020-01-01,2025-06-30
      L2,赵科长,审批科,科长,主要负责人,,2025-07-01,
      D1,钱副科长,审批科,副科长,分管领导,食品经营许可,2022-03-01,
      """

  场景: 逾期由期限届满时的承办人负直接责任，当时的科长负主要领导责任，而不是现任科长
    假如 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure,case.matter
      C1,E1,2025-03-03T09:00:00,受理,S01,,窗口人员,审批科,,一般,食品经营许可
      C1,E2,2025-03-04T09:00:00,分派,S02,S10,科长,审批科,,一般,食品经营许可
      C1,E3,2025-03-25T09:00:00,转办,S02,S11,科长,审批科,,一般,食品经营许可
      C1,E4,2025-04-15T10:00:00,作出决定,S12,,承办人,审批科,不予,一般,食品经营许可
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 C1 有一条 decision_late 发现
    而且 该发现的责任人依次为:
      | person | responsibility |
      | S11    | 直接责任       |
      | L1     | 主要领导责任   |
      | D1     | 重要领导责任   |
    而且 该发现的说明中写明 "2025-03-31 时任 审批科 主要负责人"

  场景: 一年内再犯同类问题从重处理（期限届满日2025年2月8日是春节后的调休上班日）
    假如 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure,case.matter
      A1,E1,2025-01-06T09:00:00,受理,S01,,窗口人员,审批科,,一般,排污许可
      A1,E2,2025-01-07T09:00:00,分派,S02,S30,科长,审批科,,一般,排污许可
      A1,E3,2025-02-10T10:00:00,作出决定,S30,,承办人,审批科,不予,一般,排污许可
      A2,E4,2025-06-02T09:00:00,受理,S01,,窗口人员,审批科,,一般,排污许可
      A2,E5,2025-06-03T09:00:00,分派,S02,S30,科长,审批科,,一般,排污许可
      A2,E6,2025-07-01T10:00:00,作出决定,S30,,承办人,审批科,不予,一般,排污许可
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 A1 有一条 decision_late 发现
    而且 该发现的处理为 提醒谈话
    而且 案件 A2 有一条 decision_late 发现
    而且 该发现的处理为 批评教育
    而且 该发现的说明中写明 "从重 1 档"

  场景大纲: 以往运行中的发现：复核确认的计入再犯，撤销的不计
    假如 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure,case.matter
      B1,E1,2025-01-06T09:00:00,受理,S01,,窗口人员,审批科,,一般,排污许可
      B1,E2,2025-01-07T09:00:00,分派,S02,S31,科长,审批科,,一般,排污许可
      B1,E3,2025-02-10T10:00:00,作出决定,S31,,承办人,审批科,不予,一般,排污许可
      """
    而且 我以 2025-12-31 为审计日进行审计
    而且 复核人<决定>了案件 B1 的 decision_late 发现
    假如 又收到办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure,case.matter
      B2,E9,2025-06-02T09:00:00,受理,S01,,窗口人员,审批科,,一般,排污许可
      B2,E10,2025-06-03T09:00:00,分派,S02,S31,科长,审批科,,一般,排污许可
      B2,E11,2025-07-01T10:00:00,作出决定,S31,,承办人,审批科,不予,一般,排污许可
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 B2 有一条 decision_late 发现
    而且 该发现的处理为 <处理>

    例子:
      | 决定 | 处理     |
      | 撤销 | 提醒谈话 |
      | 确认 | 批评教育 |

  场景: 找不到责任人的问题照样列出，写明责任主体不明确
    假如 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure,case.matter
      U1,E1,2025-03-03T09:00:00,受理,,,窗口人员,审批科,,一般,排污许可
      U1,E2,2025-04-15T10:00:00,作出决定,,,承办人,审批科,不予,一般,排污许可
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 U1 有一条 decision_late 发现
    而且 该发现的责任主体不明确，写明责任单位 审批科

  场景: 集体决策：赞成者与主持人承担集体决策责任，反对或保留的不予问责；重大事项须集体讨论且达到法定人数
    假如 政策文件 meeting.policy 内容如下:
      """
      policy meeting "重大事项集体决策"
      version "2019-09-01" effective 2019-09-01
      source "重大行政决策程序暂行条例 第三十条、第三十八条；中国共产党问责条例 第十七条"
      activity 集体讨论 "集体讨论决定"
      activity 执行 "执行决定"
      activity 纠正 "撤销或纠正决定"
      ladder 问责 "问责措施" source "中国共产党问责条例 第八条" {
        通报 < 诫勉 < 组织调整 < 纪律处分
      }
      lapse wrong_decision 乱作为 "违法作出重大决策" source "重大行政决策程序暂行条例 第三十八条" {
        for each 集体讨论 when outcome == "违法"
        responsible 集体决策责任 voters of 集体讨论
        grade 问责 fixed 诫勉
      }
      lapse no_quorum 乱作为 "集体讨论出席人数不足三分之二" source "票决制（DOMAIN.md §7.8）" {
        for each 集体讨论 when number 出席比例 < 67
        responsible 直接责任 actor of it
        grade 问责 fixed 通报
      }
      lapse no_collective_decision 乱作为 "重大事项未经集体讨论" source "重大行政决策程序暂行条例 第三十条" {
        when number case.amount >= 1000000 and exists 执行 and absent 集体讨论
        responsible 直接责任 actor of first 执行
        grade 问责 fixed 通报
      }
      """
    而且 表决记录如下:
      """
      event_id,person,vote,chair
      M1,P1,同意,yes
      M1,P2,同意,no
      M1,P3,反对,no
      M1,P4,保留,no
      M1,P5,缺席,no
      M5,P1,同意,yes
      M5,P2,缺席,no
      M5,P3,缺席,no
      M5,P4,缺席,no
      M5,P6,同意,no
      """
    而且 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,outcome,case.amount
      D1,M1,2025-05-12T15:00:00,集体讨论,P1,,主要负责人,县政府,违法,"3,000,000"
      D1,M2,2025-05-20T09:00:00,执行,P2,,分管领导,县政府,,"3,000,000"
      D2,M9,2025-06-03T09:00:00,执行,P6,,局长,交通局,,2500000
      D3,M5,2025-07-01T15:00:00,集体讨论,P1,,主要负责人,县政府,合法,800000
      D4,M8,2025-07-09T09:00:00,执行,P7,,局长,交通局,,500000
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 D1 有一条 wrong_decision 发现
    而且 该发现的责任人依次为:
      | person | responsibility |
      | P1     | 集体决策责任   |
      | P2     | 集体决策责任   |
    而且 该发现的说明中写明 "P3（参与者）表决意见为「反对」，依问责条例第十七条不予问责"
    而且 案件 D1 没有 no_quorum 发现
    而且 案件 D2 有一条 no_collective_decision 发现
    而且 该发现的责任人是 P6，责任类型为 直接责任
    而且 案件 D3 有一条 no_quorum 发现
    而且 该发现的责任人是 P1，责任类型为 直接责任
    而且 案件 D4 没有 no_collective_decision 发现

  场景: 规则在先、从旧兼从轻：现行版本更轻的，适用现行版本
    假如 政策文件 v2024.policy 内容如下:
      """
      policy docs "公文办理时限"
      version "2024" effective 2024-01-01
      source "某市机关公文办理规定（2024）"
      activity 收文 "收文登记"
      activity 办结 "办结"
      ladder 效能问责 "效能问责措施" source "地方规定" {
        提醒谈话 < 批评教育 < 责令书面检查
      }
      clock 办理时限 "公文办理时限" {
        start at 收文
        stop at 办结
        limit 10 workdays
      }
      lapse late 慢作为 "公文逾期办结" {
        when 办理时限.breached
        responsible 直接责任 actor of first 收文
        grade 效能问责 by 办理时限.overdue_workdays {
          0..2 提醒谈话
          3.. 批评教育
        }
      }
      """
    而且 政策文件 v2025.policy 内容如下:
      """
      policy docs "公文办理时限"
      version "2025-07" effective 2025-07-01
      source "某市机关公文办理规定（2025年修订）"
      activity 收文 "收文登记"
      activity 办结 "办结"
      ladder 效能问责 "效能问责措施" source "地方规定" {
        提醒谈话 < 批评教育 < 责令书面检查
      }
      clock 办理时限 "公文办理时限" {
        start at 收文
        stop at 办结
        limit 15 workdays
      }
      lapse late 慢作为 "公文逾期办结" {
        when 办理时限.breached
        responsible 直接责任 actor of first 收文
        grade 效能问责 by 办理时限.overdue_workdays {
          0..2 提醒谈话
          3.. 批评教育
        }
      }
      """
    而且 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit
      V1,V1-1,2025-03-03T09:00:00,收文,S01,,文书,办公室
      V1,V1-2,2025-03-20T16:00:00,办结,S01,,文书,办公室
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 V1 有一条 late 发现
    而且 该发现的处理为 不予追究
    而且 该发现适用版本 2025-07，行为时版本为 2024
    而且 该发现的说明中写明 "依从旧兼从轻不予追究"

  场景: 规则在先：生效前发生的问题按旧版本判断，即使新版本更严
    假如 政策文件 v2024.policy 内容如下:
      """
      policy docs "公文办理时限"
      version "2024" effective 2024-01-01
      activity 收文 "收文登记"
      activity 办结 "办结"
      ladder 效能问责 "效能问责措施" source "地方规定" {
        提醒谈话 < 批评教育
      }
      clock 办理时限 "公文办理时限" {
        start at 收文
        stop at 办结
        limit 10 workdays
      }
      lapse late 慢作为 "公文逾期办结" {
        when 办理时限.breached
        responsible 直接责任 actor of first 收文
        grade 效能问责 fixed 提醒谈话
      }
      """
    而且 政策文件 v2025.policy 内容如下:
      """
      policy docs "公文办理时限"
      version "2025-07" effective 2025-07-01
      activity 收文 "收文登记"
      activity 办结 "办结"
      ladder 效能问责 "效能问责措施" source "地方规定" {
        提醒谈话 < 批评教育
      }
      clock 办理时限 "公文办理时限" {
        start at 收文
        stop at 办结
        limit 3 workdays
      }
      lapse late 慢作为 "公文逾期办结" {
        when 办理时限.breached
        responsible 直接责任 actor of first 收文
        grade 效能问责 fixed 提醒谈话
      }
      """
    而且 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit
      V2,V2-1,2025-03-03T09:00:00,收文,S01,,文书,办公室
      V2,V2-2,2025-03-14T16:00:00,办结,S01,,文书,办公室
      V3,V3-1,2025-09-01T09:00:00,收文,S02,,文书,办公室
      V3,V3-2,2025-09-05T16:00:00,办结,S02,,文书,办公室
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 V2 没有 late 发现
    而且 案件 V3 有一条 late 发现
    而且 该发现适用版本 2025-07，行为时版本为 2025-07

  场景: 转办记录没有写明接收人的，不把问题算到原承办人头上
    假如 办件记录如下:
      """
      case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure,case.matter
      T1,E1,2025-03-03T09:00:00,受理,S01,,窗口人员,审批科,,一般,排污许可
      T1,E2,2025-03-04T09:00:00,分派,S02,S10,科长,审批科,,一般,排污许可
      T1,E3,2025-03-20T09:00:00,转办,S02,,科长,审批科,,一般,排污许可
      T1,E4,2025-04-15T10:00:00,作出决定,S12,,承办人,审批科,不予,一般,排污许可
      """
    当 我以 2026-11-20 为审计日进行审计
    那么 案件 T1 有一条 decision_late 发现
    而且 该发现的责任主体不明确，写明责任单位 审批科
    而且 该发现的说明中写明 "转办（E3）未写明接收人"
